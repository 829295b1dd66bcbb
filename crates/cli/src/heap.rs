//! The heap setting of the proving commands.
//!
//! A batch proof allocates a few gigabytes (the trace, its hiding copy, the low-degree extension)
//! and frees them at the end; the next batch allocates the same again. glibc's malloc serves
//! every such block with a fresh `mmap` (above 32 MiB it always does; off the main thread it
//! does even when told not to, because a thread's arena cannot grow past 64 MiB) and unmaps it
//! on free, so the kernel faults in and zeroes every page of every batch anew: 124 of 835 CPU
//! seconds of a 1M-user round went to that. With one arena, no `mmap` for blocks and no trimming,
//! freed blocks stay in the process and the next batch reuses them (`docs/BENCHMARKS.md`, issue
//! 13: −11 % CPU on two jobs at 2^14 leaves, +1.3 GB peak RSS).
//!
//! glibc reads these settings once, when the process starts (`GLIBC_TUNABLES`); calling
//! `mallopt` from Rust would need `unsafe`. So the proving commands re-execute the binary once
//! with the setting in its environment. An operator's own `GLIBC_TUNABLES` always wins (nothing
//! is re-executed then), and so does `CUSTODIA_SYSTEM_HEAP=1`. Only the proving commands do this:
//! one arena would make `serve`'s many threads contend on one lock.

/// The glibc tunables of a proving process: one arena, no `mmap` for blocks, never give the heap
/// back (trim threshold 64 GiB), grow it 256 MiB at a time, and ask for transparent huge pages
/// on it (`hugetlb=1`: glibc 2.35+ advises the kernel with `MADV_HUGEPAGE`; where the kernel's
/// THP mode is `never`, or glibc is older, it changes nothing). The DFTs and Merkle hashing walk
/// gigabytes with large strides, so 2 MiB pages cut TLB misses and page faults: −3 % CPU on a 1M
/// × 22 round, for ≈ 0.7 GiB more peak memory (`docs/BENCHMARKS.md`).
pub const PROVING_TUNABLES: &str = "glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:\
glibc.malloc.trim_threshold=68719476736:glibc.malloc.top_pad=268435456:glibc.malloc.hugetlb=1";

/// Re-executes this binary with [`PROVING_TUNABLES`] unless the environment already sets
/// `GLIBC_TUNABLES` or `CUSTODIA_SYSTEM_HEAP`. Returns only when nothing was re-executed (also
/// when the re-execution failed: the command then runs with the default heap, only slower).
pub fn retain_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;

        if std::env::var_os("GLIBC_TUNABLES").is_some()
            || std::env::var_os("CUSTODIA_SYSTEM_HEAP").is_some()
        {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        // `exec` replaces this process (same pid, same stdio); it returns only on failure.
        let _failed = std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GLIBC_TUNABLES", PROVING_TUNABLES)
            .exec();
    }
}

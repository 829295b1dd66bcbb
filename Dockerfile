# syntax=docker/dockerfile:1
# Custodia's service image: `custodia serve` (and every other `custodia` command) on a small
# Debian runtime, as an unprivileged user, with nothing but the binary, CA certificates and tini.
#
#   docker build -t custodia .
#   docker compose -f deploy/compose.yaml up
#
# The build stage compiles with the `dist` profile (fat LTO, stripped, one codegen unit). It
# builds for the CPU of the build machine's class only if you pass RUSTFLAGS; the default here
# is portable x86-64-v2, so the image runs on any server of the last decade.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src
# The portable baseline, overriding .cargo/config.toml's target-cpu=native: an image is run on
# machines other than the one that built it. Proving machines should pass the level their CPUs
# share (`--build-arg CUSTODIA_TARGET_CPU=x86-64-v3` for AVX2, `x86-64-v4` for AVX-512): the
# field arithmetic, Poseidon2 and BLAKE3 of the prover use those vector units only when the
# compiler may emit them.
ARG CUSTODIA_TARGET_CPU=x86-64-v2
ENV CARGO_ENCODED_RUSTFLAGS="-Ctarget-cpu=${CUSTODIA_TARGET_CPU}" \
    CARGO_TERM_COLOR=never
ARG CUSTODIA_BUILD_COMMIT=unknown
ENV CUSTODIA_BUILD_COMMIT=${CUSTODIA_BUILD_COMMIT}
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --profile dist -p custodia-cli --bin custodia \
 && install -D -m 0755 target/dist/custodia /out/custodia

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: https node URLs and PostgreSQL over TLS; tini: signals reach custodia and
# zombies are reaped (custodia drains connections on SIGTERM). Not pinned to versions: the
# release's security updates should land on every rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 custodia \
 && useradd --system --uid 10001 --gid custodia --home-dir /var/lib/custodia \
    --shell /usr/sbin/nologin custodia \
 && install -d -o custodia -g custodia -m 0750 /var/lib/custodia /etc/custodia
COPY --from=build /out/custodia /usr/local/bin/custodia
COPY deploy/custodia.toml /etc/custodia/custodia.toml
USER 10001:10001
WORKDIR /var/lib/custodia
ENV CUSTODIA_SERVER_LISTEN=0.0.0.0:8080 \
    CUSTODIA_STORE_URL=sqlite:///var/lib/custodia/custodia.db \
    CUSTODIA_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/var/lib/custodia"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/custodia", "health", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/custodia"]
CMD ["serve", "--config", "/etc/custodia/custodia.toml"]

//! `Store::open_existing`, the operator commands' way in: never creates, never migrates, says
//! where and why when it cannot connect.

use custodia_events::{Actor, EventKind, Payload, Subject, Timestamp};
use custodia_events::{EventAppender as _, EventReader as _, NewEvent};
use custodia_store::testkit::pg_url;
use custodia_store::{Access, SCHEMA_VERSION, Store, StoreError, target_of};

fn ev(i: i64) -> NewEvent {
    NewEvent {
        time: Timestamp::from_millis(1_700_000_000_000 + i),
        kind: EventKind::new("test.happened").unwrap(),
        actor: Actor::new("system:test").unwrap(),
        subject: Subject::new(format!("t:{i}")).unwrap(),
        payload: Payload::empty(),
    }
}

#[tokio::test]
async fn an_existing_sqlite_store_opens_read_only_and_read_write() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("s.db").display());
    let s = Store::open(&url, 2).await.unwrap();
    s.append(vec![ev(1)]).await.unwrap();
    s.close().await;

    let ro = Store::open_existing(&url, 2, Access::ReadOnly)
        .await
        .unwrap();
    assert_eq!(ro.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(ro.head().await.unwrap().0, 1);
    let e = ro.append(vec![ev(2)]).await.unwrap_err().to_string();
    assert!(
        e.contains("readonly"),
        "a read-only store refused the write: {e}"
    );
    ro.close().await;

    let rw = Store::open_existing(&url, 2, Access::ReadWrite)
        .await
        .unwrap();
    rw.append(vec![ev(2)]).await.unwrap();
    assert_eq!(rw.head().await.unwrap().0, 2);
    rw.close().await;
}

#[tokio::test]
async fn a_missing_or_foreign_sqlite_file_is_refused_and_never_created() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.db");
    let url = format!("sqlite://{}", typo.display());
    for access in [Access::ReadOnly, Access::ReadWrite] {
        let e = Store::open_existing(&url, 1, access).await.unwrap_err();
        assert!(matches!(e, StoreError::Missing { .. }), "{e}");
        assert!(e.to_string().contains("typo.db"), "{e}");
        assert!(!typo.exists(), "the file was created");
    }
    let e = Store::open_existing("sqlite::memory:", 1, Access::ReadOnly)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Missing { .. }), "{e}");

    // A SQLite file that is not a Custodia store, and one an older binary left behind.
    let other = dir.path().join("other.db");
    let other_url = format!("sqlite://{}", other.display());
    let s = Store::open(&other_url, 1).await.unwrap();
    s.execute_raw_for_tests("DROP TABLE schema_version")
        .await
        .unwrap();
    s.close().await;
    let e = Store::open_existing(&other_url, 1, Access::ReadOnly)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a Custodia store"), "{e}");

    let old = dir.path().join("old.db");
    let old_url = format!("sqlite://{}", old.display());
    let s = Store::open(&old_url, 1).await.unwrap();
    let last = format!("DELETE FROM schema_version WHERE version = {SCHEMA_VERSION}");
    s.execute_raw_for_tests(&last).await.unwrap();
    s.close().await;
    let e = Store::open_existing(&old_url, 1, Access::ReadWrite)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("older than this binary") && e.contains("custodia serve"),
        "{e}"
    );
}

#[test]
fn targets_name_the_place_never_the_password() {
    for (url, want) in [
        (
            "sqlite:///var/lib/custodia/c.db?mode=rwc",
            "/var/lib/custodia/c.db",
        ),
        ("sqlite://c.db", "c.db"),
        (
            "postgres://u:hunter2@db.internal:6543/custodia",
            "db.internal:6543/custodia",
        ),
        (
            "postgresql://u:p@db/custodia?sslmode=require",
            "db:5432/custodia",
        ),
        (
            "postgres:///custodia?host=/run/postgresql",
            "/run/postgresql:5432/custodia",
        ),
        ("postgres://u:p@[::1]:5433/c", "[::1]:5433/c"),
    ] {
        let got = target_of(url);
        assert_eq!(got, want, "{url}");
        assert!(!got.contains("hunter2"));
    }
}

#[tokio::test]
async fn an_unreachable_postgres_is_named_with_its_reason() {
    // Port 1 on the loopback: nothing listens there.
    let url = "postgres://custodia:hunter2@127.0.0.1:1/custodia";
    let e = Store::open_existing(url, 1, Access::ReadOnly)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, StoreError::Connect { .. }), "{msg}");
    assert_eq!(
        msg,
        "cannot connect to 127.0.0.1:1/custodia (connection refused)"
    );
}

#[tokio::test]
async fn a_missing_postgres_database_is_missing_and_an_existing_one_opens_read_only() {
    let Some(base) = pg_url() else { return };
    let (head, _) = base.rsplit_once('/').unwrap();
    let missing = format!("{head}/custodia_no_such_database");
    let e = Store::open_existing(&missing, 1, Access::ReadOnly)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Missing { .. }), "{e}");
    assert!(e.to_string().contains("custodia_no_such_database"), "{e}");

    let t = custodia_store::testkit::postgres("open_existing")
        .await
        .unwrap();
    t.store.append(vec![ev(1)]).await.unwrap();
    let ro = Store::open_existing(&t.url, 1, Access::ReadOnly)
        .await
        .unwrap();
    assert_eq!(ro.head().await.unwrap().0, 1);
    let e = ro.append(vec![ev(2)]).await.unwrap_err().to_string();
    assert!(e.contains("read-only"), "{e}");
    ro.close().await;
}

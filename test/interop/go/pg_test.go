package interop

// The PostgreSQL the barrier and XA tests use: DTX_PG=host:port (user dtx, database dtx_test, trust
// auth), started by scripts/postgres-local.sh through the vitest global setup. The branch barrier
// table is dtm's (the SDK's sqls/dtmcli.barrier.postgres.sql: schema dtm_barrier, unique
// constraint uniq_barrier, which the SDK's insert-or-ignore names); accounts hold the business data.

import (
	"database/sql"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/dtm-labs/client/dtmcli"
	_ "github.com/lib/pq" // registers the "postgres" driver the SDK's DB helpers open
)

var (
	pgOnce sync.Once
	pgDB   *sql.DB
	pgErr  error
)

const pgSchema = `
create schema if not exists dtm_barrier;
create sequence if not exists dtm_barrier.barrier_seq;
create table if not exists dtm_barrier.barrier(
  id bigint not null default nextval('dtm_barrier.barrier_seq'),
  trans_type varchar(45) default '',
  gid varchar(128) default '',
  branch_id varchar(128) default '',
  op varchar(45) default '',
  barrier_id varchar(45) default '',
  reason varchar(45) default '',
  create_time timestamp(0) with time zone default null,
  update_time timestamp(0) with time zone default null,
  primary key(id),
  constraint uniq_barrier unique(gid, branch_id, op, barrier_id)
);
create table if not exists interop_account(
  gid varchar(128) not null,
  user_id int not null,
  balance int not null,
  trading int not null default 0,
  primary key(gid, user_id)
);`

// pgConf is the SDK's DB configuration of the test server.
func pgConf(t *testing.T) dtmcli.DBConf {
	t.Helper()
	addr := os.Getenv("DTX_PG")
	if addr == "" {
		t.Fatalf("DTX_PG is not set: point it at a PostgreSQL (user dtx, database dtx_test), e.g. DTX_PG=127.0.0.1:25432 after scripts/postgres-local.sh start")
	}
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("DTX_PG=%q: %v", addr, err)
	}
	port, _ := strconv.ParseInt(portText, 10, 64)
	// trust auth ignores the password; an empty one would break the SDK's key=value DSN
	return dtmcli.DBConf{Driver: "postgres", Host: host, Port: port, User: "dtx", Password: "unused", Db: "dtx_test", Schema: "public"}
}

// openPG returns the shared pool, creating the barrier and account tables once.
func openPG(t *testing.T) *sql.DB {
	t.Helper()
	conf := pgConf(t)
	pgOnce.Do(func() {
		dsn := "host=" + conf.Host + " port=" + strconv.FormatInt(conf.Port, 10) + " user=dtx dbname=dtx_test sslmode=disable"
		pgDB, pgErr = sql.Open("postgres", dsn)
		if pgErr == nil {
			_, pgErr = pgDB.Exec(pgSchema)
		}
	})
	if pgErr != nil {
		t.Fatalf("PostgreSQL at %s:%d: %v (start it with scripts/postgres-local.sh start)", conf.Host, conf.Port, pgErr)
	}
	return pgDB
}

// seedAccounts gives users 1 and 2 of this gid a balance of 100.
func seedAccounts(t *testing.T, db *sql.DB, gid string) {
	t.Helper()
	if _, err := db.Exec(`insert into interop_account(gid, user_id, balance) values ($1, 1, 100), ($1, 2, 100)`, gid); err != nil {
		t.Fatalf("seed accounts: %v", err)
	}
}

type account struct{ balance, trading int }

func accountOf(t *testing.T, db *sql.DB, gid string, user int) account {
	t.Helper()
	var a account
	if err := db.QueryRow(`select balance, trading from interop_account where gid = $1 and user_id = $2`, gid, user).Scan(&a.balance, &a.trading); err != nil {
		t.Fatalf("account %s/%d: %v", gid, user, err)
	}
	return a
}

// barrierOps lists the barrier rows of a gid as "<branch_id> <op> <reason>", in insertion order.
func barrierOps(t *testing.T, db *sql.DB, gid string) []string {
	t.Helper()
	rows, err := db.Query(`select branch_id, op, reason from dtm_barrier.barrier where gid = $1 order by id`, gid)
	if err != nil {
		t.Fatalf("barrier rows: %v", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var b, op, reason string
		if err := rows.Scan(&b, &op, &reason); err != nil {
			t.Fatalf("barrier row: %v", err)
		}
		out = append(out, b+" "+op+" "+reason)
	}
	return out
}

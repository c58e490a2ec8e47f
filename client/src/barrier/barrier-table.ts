import type { SqlConnection } from '../sql-connection.js';

/**
 * Creates dtm's barrier table if it is missing (the columns and unique key of dtm's
 * sqls/dtmcli.barrier.{mysql,postgres}.sql), so that Go and TypeScript branches can share it.
 * `table` is `schema.table` (PostgreSQL) or `database.table` (MySQL); default `dtm_barrier.barrier`.
 */
export async function ensureBarrierTable(conn: SqlConnection, table = 'dtm_barrier.barrier'): Promise<void> {
  const dot = table.indexOf('.');
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(table)) throw new TypeError(`bad barrier table name '${table}'`);
  const schema = dot > 0 ? table.slice(0, dot) : undefined;
  if (conn.dialect === 'postgres') {
    if (schema) await conn.exec(`create schema if not exists ${schema}`);
    await conn.exec(`create table if not exists ${table}(
      id bigserial primary key,
      trans_type varchar(45) default '',
      gid varchar(128) default '',
      branch_id varchar(128) default '',
      op varchar(45) default '',
      barrier_id varchar(45) default '',
      reason varchar(45) default '',
      create_time timestamp(0) with time zone default now(),
      update_time timestamp(0) with time zone default now(),
      constraint uniq_barrier unique(gid, branch_id, op, barrier_id))`);
    return;
  }
  if (schema) await conn.exec(`create database if not exists ${schema} default character set utf8mb4`);
  await conn.exec(`create table if not exists ${table}(
    id bigint primary key auto_increment,
    trans_type varchar(45) default '',
    gid varchar(128) default '',
    branch_id varchar(128) default '',
    op varchar(45) default '',
    barrier_id varchar(45) default '',
    reason varchar(45) default '' comment 'the op that inserted this row',
    create_time datetime default now(),
    update_time datetime default now(),
    key(create_time),
    key(update_time),
    unique key uniq_barrier(gid, branch_id, op, barrier_id)
  ) engine = InnoDB default charset = utf8mb4`);
}

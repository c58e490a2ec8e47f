import { DtmFailure, type SqlConnection } from '../../src/index.js';
import type { TestDatabase } from './databases.js';
import { uniqueTable } from './databases.js';

/**
 * A bank in a real database: accounts with balances and an effects log that every business
 * change writes in the same local transaction, so that a test can count how often each business
 * effect happened (exactly once is the barrier's promise).
 */
export class Bank {
  private constructor(
    readonly db: TestDatabase,
    readonly accounts: string,
    readonly effects: string,
  ) {}

  static async create(db: TestDatabase, count: number, balance: number): Promise<Bank> {
    const bank = new Bank(db, uniqueTable('accounts'), uniqueTable('effects'));
    await db.with(async (c) => {
      await c.exec(`create table ${bank.accounts}(id int primary key, balance bigint not null)`);
      await c.exec(`create table ${bank.effects}(gid varchar(128) not null, branch_id varchar(16) not null, op varchar(16) not null, account int not null, delta bigint not null)`);
      for (let i = 0; i < count; i += 1) await c.exec(`insert into ${bank.accounts}(id, balance) values(?, ?)`, [i, balance]);
    });
    return bank;
  }

  /**
   * Adds `delta` to `account` inside the caller's local transaction and logs the effect. With
   * `checkFunds` a debit that would leave the balance below 0 throws DtmFailure (nothing written).
   */
  async adjust(conn: SqlConnection, effect: { gid: string; branch_id: string; op: string }, account: number, delta: number, checkFunds: boolean): Promise<void> {
    const affected = checkFunds
      ? await conn.exec(`update ${this.accounts} set balance = balance + ? where id = ? and balance + ? >= 0`, [delta, account, delta])
      : await conn.exec(`update ${this.accounts} set balance = balance + ? where id = ?`, [delta, account]);
    if (affected !== 1) throw new DtmFailure(`account ${account}: insufficient balance for ${-delta}`);
    await conn.exec(`insert into ${this.effects}(gid, branch_id, op, account, delta) values(?, ?, ?, ?, ?)`, [effect.gid, effect.branch_id, effect.op, account, delta]);
  }

  async balances(): Promise<Map<number, number>> {
    const rows = await this.db.with((c) => c.query<{ id: number; balance: string | number }>(`select id, balance from ${this.accounts} order by id`));
    return new Map(rows.map((r) => [Number(r.id), Number(r.balance)]));
  }

  /** How many times each `gid/branch/op` effect happened. */
  async effectCounts(): Promise<Map<string, number>> {
    const rows = await this.db.with((c) => c.query<{ gid: string; branch_id: string; op: string; n: string | number }>(`select gid, branch_id, op, count(*) as n from ${this.effects} group by gid, branch_id, op`));
    return new Map(rows.map((r) => [`${r.gid}/${r.branch_id}/${r.op}`, Number(r.n)]));
  }

  async drop(): Promise<void> {
    await this.db.with(async (c) => {
      await c.exec(`drop table ${this.accounts}`);
      await c.exec(`drop table ${this.effects}`);
    });
  }
}

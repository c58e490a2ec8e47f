/** Observability hooks (metrics); the engine never depends on their results. */
export interface EngineObserver {
  committed?(records: number, ms: number): void;
  branchCalled?(transType: string, branchId: string, op: string, result: string): void;
  transactionFinished?(transType: string, status: string, createTime: number, finishTime: number): void;
  /** A transaction was parked (or left out of recovery: transType 'unknown'). */
  transactionParked?(transType: string): void;
}

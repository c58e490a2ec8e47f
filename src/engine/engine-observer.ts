/** Observability hooks (metrics); the engine never depends on their results. */
export interface EngineObserver {
  committed?(records: number, ms: number): void;
  /** A partition's batch could not be appended; `code`: the error's (DTX_LOG_UNAVAILABLE for a full or failing disk). */
  appendFailed?(code: string): void;
  branchCalled?(transType: string, branchId: string, op: string, result: string): void;
  transactionFinished?(transType: string, status: string, createTime: number, finishTime: number): void;
  /** A transaction was parked (or left out of recovery: transType 'unknown'). */
  transactionParked?(transType: string): void;
}

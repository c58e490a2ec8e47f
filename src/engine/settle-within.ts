/**
 * Waits for `work` at most `ms`: true when it settled in time (fulfilled or rejected), false when
 * the deadline came first. The work itself is not cancelled. Used by graceful stops, which must
 * end even when a branch call or a disk write hangs.
 */
export async function settleWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true, () => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves or rejects like `work`, unless `ms` passes first: then it rejects with `onTimeout()`.
 * The timer is always cleared, so a finished race keeps no handle open. `work` itself is not
 * cancelled; it runs on and its outcome is ignored.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

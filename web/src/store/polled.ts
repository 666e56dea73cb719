/**
 * A count read from the API for a menu badge (to-dos, refunds, stock alarms): read when the first
 * caller starts watching, then every `intervalMs` while anyone watches, and whenever `refresh()` is
 * called after an action. Only the latest answer counts (an older one may predate an action); a
 * failure keeps the last value: a badge is not worth an error message.
 */
export interface PolledCount {
  /** Reads the count now. */
  refresh(): Promise<void>;
  /** Starts polling (shared by every caller); returns the function that stops it for this caller. */
  watch(): () => void;
}

export function polledCount<T>(fetch: () => Promise<T>, apply: (answer: T) => void, intervalMs: number): PolledCount {
  let timer: ReturnType<typeof setInterval> | undefined;
  let users = 0;
  let seq = 0;
  const refresh = (): Promise<void> => {
    const mine = ++seq;
    return fetch()
      .then((answer) => {
        if (mine === seq) apply(answer);
      })
      .catch(() => undefined);
  };
  return {
    refresh,
    watch() {
      users += 1;
      if (users === 1) {
        void refresh();
        timer = setInterval(() => void refresh(), intervalMs);
      }
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        users -= 1;
        if (users === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}

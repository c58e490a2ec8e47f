import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface ApiState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  /** Loads again, keeping the current data on screen until the answer arrives. */
  readonly reload: () => void;
}

/**
 * Runs `load` when `key` changes (and on `reload`). Answers that arrive after a newer request was
 * started are dropped, so a slow old page never overwrites a new one.
 */
export function useApi<T>(load: () => Promise<T>, key: string): ApiState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback(() => {
    const ticket = ++latest.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => {
        if (ticket === latest.current) setState({ data, error: undefined, loading: false });
      },
      (error: unknown) => {
        if (ticket === latest.current) setState((s) => ({ data: s.data, error, loading: false }));
      },
    );
  }, []);

  useEffect(() => {
    setState({ data: undefined, error: undefined, loading: true });
    run();
  }, [key, run]);

  return { ...state, reload: run };
}

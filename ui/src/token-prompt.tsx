import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { cancelTokenRequest, onTokenRequest, provideToken, type TokenRequest } from './auth-token';

/**
 * The modal that asks for the API token when dtx answers 401. The token is kept in
 * sessionStorage for this tab only, and every API call sends it as `Authorization: Bearer`.
 */
export function TokenPrompt(): JSX.Element {
  const [request, setRequest] = useState<TokenRequest | null>(null);
  const [token, setToken] = useState('');
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => onTokenRequest(setRequest), []);
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (request !== null && !d.open) {
      setToken('');
      d.showModal();
    }
    if (request === null && d.open) d.close();
  }, [request]);

  const submit = (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (t !== '') provideToken(t);
  };
  const cancel = (e?: Event) => {
    e?.preventDefault();
    cancelTokenRequest();
  };

  return (
    <dialog ref={ref} class="confirm token-prompt" aria-labelledby="token-title" onCancel={cancel}>
      <form onSubmit={submit}>
        <h2 id="token-title">API token needed</h2>
        <p>
          dtx answered: <span class="pre">{request?.message ?? ''}</span>
        </p>
        {request?.rejectedToken ? <p class="field-error">The token you entered was not accepted.</p> : null}
        <label class="stacked">
          Bearer token
          <input name="token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken((e.currentTarget as HTMLInputElement).value)} autofocus />
        </label>
        <p class="muted small">Kept in this browser tab only (sessionStorage) and sent with every API call.</p>
        <div class="confirm-buttons">
          <button type="button" class="secondary" onClick={() => cancel()}>Cancel</button>
          <button type="submit">Use token</button>
        </div>
      </form>
    </dialog>
  );
}

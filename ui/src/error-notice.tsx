import type { JSX } from 'preact';
import { ApiError } from './api-client';

/** Shows an API error with the API's own message (and code), announced to screen readers. */
export function ErrorNotice({ error, what }: { readonly error: unknown; readonly what?: string }): JSX.Element {
  const api = error instanceof ApiError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="notice notice-error" role="alert">
      {what !== undefined ? <strong>{what}: </strong> : null}
      {api !== undefined && api.status > 0 ? <span class="muted">HTTP {api.status}{api.code ? ` ${api.code}` : ''} — </span> : null}
      <span class="pre">{message}</span>
    </div>
  );
}

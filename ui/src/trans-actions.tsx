import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, postJson } from './api-client';
import { isFinished, type Transaction } from './dtm-types';

type Action = 'forceStop' | 'resetNextCronTime';

interface ActionText {
  readonly label: string;
  readonly title: string;
  readonly danger: boolean;
  readonly explain: (gid: string) => string;
}

const ACTIONS: Readonly<Record<Action, ActionText>> = {
  forceStop: {
    label: 'Force stop',
    title: 'Force stop this transaction?',
    danger: true,
    explain: (gid) => `Transaction ${gid} becomes failed at once. No further branch is called and no compensation runs: branches that already succeeded stay done. This cannot be undone.`,
  },
  resetNextCronTime: {
    label: 'Reset next cron time',
    title: 'Retry this transaction now?',
    danger: false,
    explain: (gid) => `Transaction ${gid} becomes due now: its pending branch calls are retried at once instead of at the scheduled next cron time.`,
  },
};

interface Outcome {
  readonly action: Action;
  readonly ok: boolean;
  readonly message: string;
}

/**
 * The operator actions of a transaction page (`POST /api/dtmsvr/forceStop` and
 * `/resetNextCronTime`), each behind a confirmation; the API's answer is shown as it came.
 */
export function TransActions({ trans, onDone }: { readonly trans: Transaction; readonly onDone: () => void }): JSX.Element {
  const [asking, setAsking] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const finished = isFinished(trans.status);

  const run = async (action: Action) => {
    setBusy(true);
    try {
      const body = await postJson<{ dtm_result?: string }>(`/api/dtmsvr/${action}`, { gid: trans.gid });
      setOutcome({ action, ok: true, message: body?.dtm_result ?? 'SUCCESS' });
    } catch (err) {
      const e = err as Error;
      setOutcome({ action, ok: false, message: err instanceof ApiError && err.status > 0 ? `HTTP ${err.status}: ${e.message}` : e.message });
    } finally {
      setBusy(false);
      setAsking(null);
      onDone();
    }
  };

  const text = asking === null ? undefined : ACTIONS[asking];
  return (
    <div class="actions">
      <div class="action-buttons">
        {(Object.keys(ACTIONS) as Action[]).map((a) => (
          <button key={a} type="button" class={ACTIONS[a].danger ? 'danger' : ''} disabled={finished || busy} onClick={() => setAsking(a)}>
            {ACTIONS[a].label}…
          </button>
        ))}
        {finished ? <span class="muted">The transaction is finished: nothing to stop or retry.</span> : null}
      </div>
      <div role="status" aria-live="polite" class="action-outcome">
        {outcome !== null ? (
          <p class={`notice ${outcome.ok ? 'notice-ok' : 'notice-error'}`}>
            {ACTIONS[outcome.action].label}: <span class="pre">{outcome.message}</span>
          </p>
        ) : null}
      </div>
      <ConfirmDialog
        open={asking !== null}
        title={text?.title ?? ''}
        confirmLabel={text?.label ?? ''}
        danger={text?.danger ?? false}
        busy={busy}
        onCancel={() => setAsking(null)}
        onConfirm={() => asking !== null && void run(asking)}
      >
        <p>{text?.explain(trans.gid)}</p>
      </ConfirmDialog>
    </div>
  );
}

/**
 * A modal confirmation on the native <dialog> (focus is trapped, Escape cancels, the page behind
 * is inert). Cancel has the initial focus so that Enter never confirms by accident.
 */
function ConfirmDialog(props: {
  readonly open: boolean;
  readonly title: string;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly busy?: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
  readonly children: ComponentChildren;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);

  const onCancelEvent = (e: Event) => {
    e.preventDefault(); // keep the dialog's state owned by props
    if (!props.busy) props.onCancel();
  };

  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onCancel={onCancelEvent}>
      <h2 id="confirm-title">{props.title}</h2>
      <div class="confirm-body">{props.children}</div>
      <div class="confirm-buttons">
        <button type="button" class="secondary" autofocus onClick={props.onCancel} disabled={props.busy}>
          Cancel
        </button>
        <button type="button" class={props.danger ? 'danger' : ''} onClick={props.onConfirm} disabled={props.busy}>
          {props.busy ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/**
 * Provisioning runs as they go and after: the batch started on the Provision page (a card per box
 * with its phases, what bootc is doing, its output, Cancel, the new host key to confirm, and the
 * result with a link to the new device or the next step after a failure), and the recent runs.
 */
import { useState, type ReactElement } from 'react';
import type { ProvisionRun } from '../../../shared/contract';
import { LogView } from '../components/log-view';
import { AlertIcon, CheckIcon, CloseIcon, InfoIcon, KeyIcon } from '../components/icons';
import { SegmentBar } from '../components/progress-bar';
import { CopyButton, RelativeTime, ShortDigest } from '../components/status';
import { formatDecimalBytes, formatTime, imageShortName, plural } from '../lib/format';
import { baseName } from '../lib/flash';
import { awaitsHostKey, cancelEffect, isActive, isLibraryArchive, phaseHint, phaseIndex, phasesOf, runPhaseLabel, runStateLabel } from '../lib/provision';
import { useProvision } from '../stores/provision';
import { routeHref } from '../stores/ui';

const qualified = (r: ProvisionRun): string => (r.site ? `${r.site}/${r.name}` : r.name);

/** Where a run's archive came from: its file, or the image library (whose archive is named by digest). */
const archiveSource = (path: string): string => (isLibraryArchive(path) ? 'the image library' : baseName(path));

/** The command that prints the fingerprint of a host key of this type on the box's console. */
function keygenCommand(keyType: string): string {
  const kind = /ed25519/i.test(keyType) ? 'ed25519' : /ecdsa/i.test(keyType) ? 'ecdsa' : /rsa/i.test(keyType) ? 'rsa' : 'ed25519';
  return `ssh-keygen -lf /etc/ssh/ssh_host_${kind}_key.pub`;
}

/** The phases as steps: done, current, to come; where an ended run stopped is marked. */
function RunPhases({ run }: { run: ProvisionRun }): ReactElement {
  const phases = phasesOf(run);
  const ended = !isActive(run);
  const bad = run.state === 'failed' || run.state === 'canceled' || run.state === 'interrupted';
  const stoppedAt = bad && run.stoppedPhase ? phases.indexOf(run.stoppedPhase) : -1;
  const at = ended ? (bad ? stoppedAt : phases.length - 1) : phaseIndex(run, phases);
  return (
    <ol className="phase-steps run-phases" aria-label="Phases" data-testid="run-phases" data-phase={run.phase}>
      {phases.map((p, i) => {
        const cls = run.state === 'done' || i < at ? 'done' : i === at ? (bad ? 'failed' : 'current') : 'todo';
        return (
          <li key={p} className={`phase phase-${cls}`} aria-current={i === at && !ended ? 'step' : undefined} title={phaseHint[p]}>
            <span className="phase-dot" aria-hidden="true">
              {cls === 'done' ? <CheckIcon size={11} /> : cls === 'failed' ? <CloseIcon size={11} /> : null}
            </span>
            <span className="phase-label">{runPhaseLabel(run, p)}</span>
          </li>
        );
      })}
    </ol>
  );
}

/** The archive upload: bytes of the total, speed. */
function TransferBar({ run }: { run: ProvisionRun }): ReactElement | null {
  const t = run.transfer;
  if (!t || run.phase !== 'uploading') return null;
  return (
    <div className="run-transfer" data-testid="run-transfer">
      <SegmentBar counts={{ total: t.total, done: 0, failed: 0, running: t.done }} label={`Uploading the archive to ${run.name}`} size="thin" />
      <span className="muted small">
        {formatDecimalBytes(t.done)} of {formatDecimalBytes(t.total)}
        {t.bytesPerSecond ? ` · ${formatDecimalBytes(t.bytesPerSecond)}/s` : ''}
      </span>
    </div>
  );
}

/** The installed system's new host key, to compare with the box's console and confirm. */
function HostKeyConfirm({ run }: { run: ProvisionRun }): ReactElement | null {
  const confirm = useProvision((s) => s.confirmHostKey);
  const confirming = useProvision((s) => !!s.confirming[run.id]);
  const error = useProvision((s) => s.confirmErrors[run.id]);
  if (!run.hostKey) return null;
  const command = keygenCommand(run.hostKey.keyType);
  return (
    <section className="hostkey-callout" role="alert" aria-labelledby={`hostkey-${run.id}`} data-testid="run-hostkey">
      <KeyIcon size={20} />
      <div className="hostkey-callout-body">
        <h3 id={`hostkey-${run.id}`}>Confirm the new host key of {qualified(run)}</h3>
        <p>
          The installed system presents a new SSH host key. Before confirming, compare it with what the box itself says: on its console, run{' '}
          <span className="inline-command">
            <code>{command}</code>
            <CopyButton text={command} what="command" />
          </span>
        </p>
        <div className="hostkey-offered">
          <code className="hostkey-fp" data-testid="run-hostkey-fingerprint">
            {run.hostKey.fingerprint}
          </code>
          <CopyButton text={run.hostKey.fingerprint} what="fingerprint" />
          <span className="muted small">{run.hostKey.keyType}</span>
        </div>
        <div className="alert-actions">
          <button type="button" className="button button-primary" onClick={() => void confirm(run)} disabled={confirming} data-testid="run-confirm-hostkey">
            <CheckIcon size={15} /> {confirming ? 'Confirming…' : 'Confirm host key'}
          </button>
          <span className="muted small">Not the same? Do not confirm: cancel, and find out what answers at {run.address}.</span>
        </div>
        {error ? (
          <div className="form-error" role="alert" data-testid="run-hostkey-error">
            <AlertIcon />
            <span>{error}</span>
          </div>
        ) : null}
      </div>
    </section>
  );
}

/** How a run ended: the device it became, or the error and what to do next. */
function RunResult({ run }: { run: ProvisionRun }): ReactElement | null {
  if (run.state === 'done') {
    return (
      <div className="job-result job-result-ok" role="status" data-testid="run-result" data-state="done">
        <CheckIcon />
        <span className="run-result-body">
          <span>
            <strong>Provisioned</strong>
            {run.outcome ? `: ${run.outcome}` : ''}
          </span>
          {run.bootedDigest ? (
            <span className="run-result-line">
              Booted <span data-testid="run-booted-digest">{<ShortDigest digest={run.bootedDigest} />}</span>
            </span>
          ) : null}
          {run.deviceId ? (
            <a className="run-device-link" href={routeHref('devices', run.deviceId)} data-testid="run-device-link">
              Open {qualified(run)} in Devices →
            </a>
          ) : null}
        </span>
      </div>
    );
  }
  if (run.state === 'failed' || run.state === 'interrupted') {
    return (
      <div className="job-result job-result-bad" role="alert" data-testid="run-result" data-state={run.state}>
        <AlertIcon />
        <span className="run-result-body">
          <span>
            <strong>{run.state === 'interrupted' ? 'Interrupted' : 'Failed'}</strong>
            {run.outcome ? <span> ({run.outcome})</span> : null}: {run.error?.message ?? 'no details'} {run.error ? <code className="error-code">{run.error.code}</code> : null}
          </span>
          {run.error?.next ? (
            <span className="run-next" data-testid="run-next">
              <strong>Next step:</strong> {run.error.next}
            </span>
          ) : null}
        </span>
      </div>
    );
  }
  if (run.state === 'canceled') {
    return (
      <div className="job-result job-result-warn" role="status" data-testid="run-result" data-state="canceled">
        <InfoIcon />
        <span>
          <strong>Cancelled</strong>
          {run.outcome ? `: ${run.outcome}` : ''}
        </span>
      </div>
    );
  }
  return null;
}

/** One box's run: phases, what it is doing, Cancel, the host key to confirm, the result, its output. */
export function RunCard({ run, openLog }: { run: ProvisionRun; openLog: boolean }): ReactElement {
  const log = useProvision((s) => s.logs[run.id] ?? '');
  const cancel = useProvision((s) => s.cancelRun);
  const canceling = useProvision((s) => !!s.canceling[run.id]);
  const active = isActive(run);
  const c = cancelEffect(run);
  const lines = log ? log.split('\n').filter(Boolean).length : 0;
  const Icon = active ? null : run.state === 'done' ? CheckIcon : run.state === 'canceled' ? InfoIcon : AlertIcon;
  return (
    <section className={`job-panel run-card job-${run.state}`} data-testid="run-card" data-id={run.id} data-state={run.state} data-phase={run.phase} aria-label={`Provisioning ${qualified(run)}`}>
      <header className="job-head">
        <h2>
          {Icon ? <Icon size={15} /> : <span className="spinner" aria-hidden="true" />}
          {qualified(run)}
          <span className="muted job-when">
            <span className="mono">{run.address}</span>
            {run.disk ? (
              <>
                {' '}
                · <span className="mono">{run.disk.path}</span>
              </>
            ) : null}{' '}
            · {imageShortName(run.image)}
            {run.archive ? ` from ${archiveSource(run.archive)}` : ''}
            {run.digest ? (
              <>
                {' '}
                <ShortDigest digest={run.digest} copy={false} />
              </>
            ) : null}
            {run.method ? ` · ${run.method}` : ''}
          </span>
        </h2>
        <div className="job-head-actions">
          <span className={`job-state job-state-${run.state === 'pending' ? 'running' : run.state}`} data-testid="run-state">
            {awaitsHostKey(run) ? 'Waiting for you' : runStateLabel[run.state]}
          </span>
          {active ? (
            <button type="button" className="button small" onClick={() => void cancel(run.id)} disabled={canceling} title={c.effect} data-testid="run-cancel">
              {canceling ? 'Cancelling…' : c.label}
            </button>
          ) : null}
        </div>
      </header>
      <RunPhases run={run} />
      {active && !awaitsHostKey(run) ? (
        <p className="run-now" role="status" data-testid="run-detail">
          <span className="spinner" aria-hidden="true" />
          <strong>{run.phase === 'queued' ? 'Queued' : runPhaseLabel(run, run.phase)}:</strong> <span>{run.detail ?? phaseHint[run.phase]}</span>
        </p>
      ) : null}
      {active ? <TransferBar run={run} /> : null}
      {active ? (
        <p className="muted small run-cancel-note" data-testid="run-cancel-note">
          <InfoIcon size={13} /> <span>{c.effect}</span>
        </p>
      ) : null}
      {awaitsHostKey(run) ? <HostKeyConfirm run={run} /> : null}
      <RunResult run={run} />
      <details className="run-output" open={openLog || undefined}>
        <summary>
          Output <span className="muted small">({lines ? plural(lines, 'line') : 'none yet'})</span>
        </summary>
        <LogView text={log} label={`Output of ${qualified(run)}`} testId="run-log" />
      </details>
    </section>
  );
}

/** Step 5: the batch as it goes. */
export function ProgressStep(): ReactElement {
  const batchId = useProvision((s) => s.batchId);
  const ids = useProvision((s) => s.batchRuns);
  const all = useProvision((s) => s.runs);
  const cancelBatch = useProvision((s) => s.cancelBatch);
  const newBatch = useProvision((s) => s.newBatch);
  const runs = ids.map((id) => all[id]).filter((r): r is ProvisionRun => !!r);
  const done = runs.filter((r) => r.state === 'done').length;
  const failed = runs.filter((r) => r.state === 'failed' || r.state === 'interrupted').length;
  const canceled = runs.filter((r) => r.state === 'canceled').length;
  const active = runs.filter(isActive).length;
  const waiting = runs.filter(awaitsHostKey).length;
  return (
    <section className="panel flash-step" aria-labelledby="provision-step-progress" data-testid="provision-progress" data-batch={batchId ?? undefined}>
      <div className="panel-head">
        <h2 className="panel-title flash-step-title" id="provision-step-progress">
          <span className="flash-step-num" aria-hidden="true">
            5
          </span>
          Progress
        </h2>
        <div className="job-head-actions">
          {active > 1 && batchId ? (
            <button type="button" className="button small" onClick={() => void cancelBatch(batchId)} title="Cancel every box of this batch (each as its phase allows)" data-testid="provision-cancel-all">
              Cancel all
            </button>
          ) : null}
          <button type="button" className={`button small${active ? '' : ' button-primary'}`} onClick={newBatch} data-testid="provision-new-batch">
            {active ? 'Start other boxes' : 'Provision more boxes'}
          </button>
        </div>
      </div>
      <div className="batch-summary">
        <SegmentBar counts={{ total: runs.length, done, failed: failed + canceled, running: active }} label="Boxes provisioned" ended={active === 0} testId="provision-bar" />
        <p className="progress-line" data-testid="provision-counts">
          <span>
            <strong>
              {done} of {plural(runs.length, 'box', 'boxes')}
            </strong>{' '}
            provisioned
          </span>
          {active ? <span className="counts-running">{active} running</span> : null}
          {waiting ? <span className="warn-text">{waiting} waiting for a host key confirmation</span> : null}
          {failed ? <span className="progress-failed-text">{failed} failed</span> : null}
          {canceled ? <span className="muted">{canceled} cancelled</span> : null}
        </p>
      </div>
      <div className="run-cards">
        {runs.map((r) => (
          <RunCard key={r.id} run={r} openLog={runs.length <= 2} />
        ))}
      </div>
    </section>
  );
}

/** The recent runs: where past results are found; a row opens with its output. */
export function RecentRuns(): ReactElement {
  const ids = useProvision((s) => s.recent);
  const runs = useProvision((s) => s.runs);
  const openRun = useProvision((s) => s.openRun);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section className="panel" data-testid="recent-runs" aria-labelledby="provision-recent-title">
      <div className="panel-head">
        <h2 className="panel-title" id="provision-recent-title">
          Recent runs
        </h2>
        <span className="muted small">Every box provisioned from this inventory, by anyone</span>
      </div>
      {ids !== null && ids.length === 0 ? (
        <p className="muted">Nothing provisioned yet. Each box installed is recorded here with its image, disk and result.</p>
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table recent-runs-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Box</th>
                <th scope="col">Image</th>
                <th scope="col">Result</th>
                <th scope="col">By</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {ids === null ? (
                <tr>
                  <td colSpan={6} className="muted">
                    Loading…
                  </td>
                </tr>
              ) : (
                ids.map((id) => {
                  const r = runs[id];
                  if (!r) return null;
                  const expanded = open === id;
                  const state = r.state === 'pending' ? 'running' : r.state;
                  return [
                    <tr key={id} className={expanded ? 'selected' : undefined} data-testid="recent-run" data-id={id} data-state={r.state} data-name={r.name}>
                      <td className="nowrap">
                        <span title={formatTime(r.createdAt)}>
                          <RelativeTime iso={r.createdAt} />
                        </span>
                      </td>
                      <td>
                        {r.deviceId ? (
                          <a href={routeHref('devices', r.deviceId)} className="cell-strong" data-testid="recent-run-device">
                            {qualified(r)}
                          </a>
                        ) : (
                          <span className="cell-strong">{qualified(r)}</span>
                        )}
                        <span className="cell-sub muted small mono">
                          {r.address}
                          {r.disk ? ` · ${r.disk.path}` : ''}
                        </span>
                      </td>
                      <td className="history-image-cell" title={r.image}>
                        <span>{imageShortName(r.image)}</span>
                        {r.archive ? <span className="cell-sub muted small">from {archiveSource(r.archive)}</span> : null}
                        {r.bootedDigest ?? r.digest ? <span className="cell-sub">{<ShortDigest digest={(r.bootedDigest ?? r.digest)!} copy={false} />}</span> : null}
                      </td>
                      <td className="recent-run-result">
                        <span className={`job-state job-state-${state}`}>{awaitsHostKey(r) ? 'waiting for you' : isActive(r) ? runPhaseLabel(r, r.phase).toLowerCase() : runStateLabel[r.state].toLowerCase()}</span>
                        {r.error ? (
                          <span className="cell-sub small bad-text" title={r.error.message}>
                            {r.error.message}
                          </span>
                        ) : r.outcome && r.state !== 'done' ? (
                          <span className="cell-sub small muted">{r.outcome}</span>
                        ) : null}
                      </td>
                      <td className="nowrap muted">{r.actor}</td>
                      <td className="actions-cell">
                        <button
                          type="button"
                          className="button small"
                          aria-expanded={expanded}
                          onClick={() => {
                            setOpen(expanded ? null : id);
                            if (!expanded) void openRun(id);
                          }}
                          data-testid="recent-run-toggle"
                        >
                          {expanded ? 'Hide' : 'Details'}
                        </button>
                      </td>
                    </tr>,
                    expanded ? (
                      <tr key={`${id}-detail`} className="recent-run-detail">
                        <td colSpan={6}>
                          <RunCard run={r} openLog />
                        </td>
                      </tr>
                    ) : null,
                  ];
                })
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

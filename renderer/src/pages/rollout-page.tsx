/**
 * One rollout (`#/rollouts/<id>`): its state and why it stopped, Pause / Resume / Cancel, the
 * overall progress and, for an image sent from the library, how (its form, the rate limit) with
 * each device's bytes while it is sent; each batch (the canary first) and every device with its
 * batch, state, phase while acting, the digests before and after, and its outcome or error. A device's row opens its
 * job (phases and output) below the table. Live through rollout.updated and job.updated.
 */
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import type { RolloutDevice } from '../../../shared/contract';
import { ByteProgress } from '../components/byte-progress';
import { BackLink, DetailPlaceholder } from '../components/detail-frame';
import { AlertIcon, CloseIcon, InfoIcon, PauseIcon, PlayIcon, RolloutIcon } from '../components/icons';
import { batchLabel, CountsLine, RolloutBar, RolloutSignatures, RolloutSource, rolloutWhat, RolloutStateBadge } from '../components/rollout-status';
import { RelativeTime, ShortDigest } from '../components/status';
import { errorHint } from '../lib/error-text';
import { formatTime, plural } from '../lib/format';
import { phaseLabel } from '../lib/jobs';
import { useJobs } from '../stores/jobs';
import { useRollouts, type RolloutDetail } from '../stores/rollouts';
import { routeHref, useUi } from '../stores/ui';
import { JobPanel } from './device-actions';

/** Rows shown at first (and added by "Show more"); a rollout over thousands of devices stays quick. */
const ROWS = 300;

const deviceStateLabel: Record<RolloutDevice['state'], string> = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'failed',
  skipped: 'skipped',
  interrupted: 'interrupted',
};

/** The policy in one line. */
function policyText(r: RolloutDetail): string {
  const p = r.policy;
  const parts = [
    p.canary ? `canary of ${plural(p.canary, 'device')}` : 'no canary',
    `then batches of ${p.batchSize}`,
    `${p.maxParallel} at once`,
    p.maxFailures ? `halts when a batch has more than ${plural(p.maxFailures, 'failure')}` : 'halts at the first failure in a batch',
  ];
  if (p.pauseAfterCanary && p.canary) parts.push('pauses after the canary');
  parts.push(p.apply ? `waits up to ${p.waitSeconds} s for each reboot` : 'stage only (no reboot)');
  return parts.join(' · ');
}

/** The reason a rollout stopped (or ended with failures), as a banner: red for a halt. */
function ReasonBanner({ rollout: r }: { rollout: RolloutDetail }): ReactElement | null {
  if (!r.reason) return null;
  const bad = r.state === 'halted' || r.state === 'interrupted';
  return (
    <div className={`banner ${bad ? 'banner-error' : 'banner-info'} device-banner`} role={bad ? 'alert' : 'status'} data-testid="rollout-reason" data-state={r.state}>
      {bad ? <AlertIcon /> : <InfoIcon />}
      <span>
        {bad ? <strong>{r.state === 'halted' ? 'Halted: ' : 'Interrupted: '}</strong> : null}
        {r.reason}
      </span>
    </div>
  );
}

function Batches({ rollout: r }: { rollout: RolloutDetail }): ReactElement {
  const hasCanary = r.batches.some((b) => b.canary);
  return (
    <section className="panel" data-testid="rollout-batches">
      <h2 className="panel-title">Batches</h2>
      <ol className="batch-list">
        {r.batches.map((b) => (
          <li key={b.index} className={`batch-item batch-${b.state}`} data-testid="rollout-batch" data-index={b.index} data-state={b.state} data-canary={b.canary || undefined}>
            <span className="batch-name">
              {batchLabel(b.index, b.canary, hasCanary)}
              <span className="muted"> · {plural(b.counts.total, 'device')}</span>
            </span>
            <span className={`job-state job-state-${b.state}`}>{b.state}</span>
            <RolloutBar counts={b.counts} state={b.state} size="thin" />
            <CountsLine counts={b.counts} />
          </li>
        ))}
      </ol>
    </section>
  );
}

/** From → result digests of a device. */
function Digests({ dev }: { dev: RolloutDevice }): ReactElement {
  if (!dev.fromDigest && !dev.resultDigest) return <span className="muted">—</span>;
  const same = dev.fromDigest && dev.resultDigest === dev.fromDigest;
  return (
    <span className="digest-pair">
      {dev.fromDigest ? <ShortDigest digest={dev.fromDigest} copy={false} /> : <span className="muted">?</span>}
      {dev.resultDigest && !same ? (
        <>
          <span className="muted" aria-label="to">
            →
          </span>
          <span data-testid="rollout-device-result">
            <ShortDigest digest={dev.resultDigest} copy={false} />
          </span>
        </>
      ) : same ? (
        <span className="muted small">unchanged</span>
      ) : null}
    </span>
  );
}

/** The outcome of a device, or its error with the code and what to do about it. */
function Outcome({ dev }: { dev: RolloutDevice }): ReactElement {
  if (dev.error) {
    const hint = errorHint(dev.error.code);
    return (
      <span className="device-error" title={hint ?? undefined} data-testid="rollout-device-error">
        <AlertIcon size={13} />
        <span>
          {dev.error.message} <code className="error-code">{dev.error.code}</code>
        </span>
      </span>
    );
  }
  if (dev.state === 'running' && dev.phase === 'transferring') {
    return (
      <ByteProgress
        progress={dev.transfer}
        verb="on the device"
        label={`Sending the image to ${dev.name}`}
        busyText="Preparing the transfer…"
        testId="rollout-device-transfer"
      />
    );
  }
  if (dev.state === 'running') return <span className="muted">in progress</span>;
  return <span className={dev.state === 'done' ? '' : 'muted'}>{dev.outcome ?? (dev.state === 'pending' ? 'not started' : dev.state === 'skipped' ? 'skipped' : '—')}</span>;
}

function DeviceRow({ dev, label, selected, onSelect }: { dev: RolloutDevice; label: string; selected: boolean; onSelect(): void }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  const state = dev.state;
  return (
    <tr
      className={`rollout-device-row device-${state}${selected ? ' selected' : ''}${dev.jobId ? ' clickable-row' : ''}`}
      onClick={dev.jobId ? onSelect : undefined}
      title={dev.jobId ? 'Show this device’s job: phases and output' : undefined}
      data-testid="rollout-device"
      data-name={dev.name}
      data-state={state}
    >
      <td className="nowrap muted">{label}</td>
      <td className="nowrap">
        <a
          href={routeHref('devices', dev.deviceId)}
          className="cell-strong"
          onClick={(e) => {
            e.preventDefault();
            e.stopPropagation();
            navigate('devices', dev.deviceId);
          }}
          data-testid="rollout-device-link"
        >
          {dev.name}
        </a>
      </td>
      <td className="nowrap">
        <span className={`job-state job-state-${state}`} data-testid="rollout-device-state">
          {deviceStateLabel[state]}
        </span>
        {state === 'running' && dev.phase ? (
          <span className="phase-chip" data-testid="rollout-device-phase">
            {phaseLabel[dev.phase] ?? dev.phase}
          </span>
        ) : null}
      </td>
      <td className="nowrap">
        <Digests dev={dev} />
      </td>
      <td className="outcome-cell">
        <Outcome dev={dev} />
      </td>
    </tr>
  );
}

function Devices({ rollout: r }: { rollout: RolloutDetail }): ReactElement {
  const [failedOnly, setFailedOnly] = useState(false);
  const [limit, setLimit] = useState(ROWS);
  const [selected, setSelected] = useState<string | null>(null);
  const show = useJobs((s) => s.show);
  const dismiss = useJobs((s) => s.dismiss);
  const shownJob = useJobs((s) => (selected ? s.shown[selected] : undefined));
  const hasCanary = r.batches.some((b) => b.canary);
  const failed = r.devices.filter((d) => d.state === 'failed' || d.state === 'interrupted').length;
  const rows = useMemo(() => (failedOnly ? r.devices.filter((d) => d.state === 'failed' || d.state === 'interrupted') : r.devices), [r.devices, failedOnly]);
  const labels = useMemo(() => new Map(r.batches.map((b) => [b.index, batchLabel(b.index, b.canary, hasCanary)])), [r.batches, hasCanary]);
  const selectedDev = selected ? r.devices.find((d) => d.deviceId === selected) : undefined;

  const select = (dev: RolloutDevice): void => {
    if (!dev.jobId) return;
    if (selected === dev.deviceId && shownJob) {
      dismiss(dev.deviceId);
      setSelected(null);
      return;
    }
    setSelected(dev.deviceId);
    void show(dev.deviceId, dev.jobId);
  };
  // The device's job panel follows the device to its newest job (a resumed rollout starts another).
  useEffect(() => {
    if (selectedDev?.jobId && shownJob && shownJob !== selectedDev.jobId) void show(selectedDev.deviceId, selectedDev.jobId);
  }, [selectedDev?.jobId, selectedDev?.deviceId, shownJob, show]);

  return (
    <section className="panel" data-testid="rollout-devices">
      <div className="panel-head">
        <h2 className="panel-title">Devices</h2>
        <div className="toggle-group" role="group" aria-label="Show">
          <button type="button" className={`toggle${!failedOnly ? ' on' : ''}`} aria-pressed={!failedOnly} onClick={() => setFailedOnly(false)}>
            All {r.devices.length.toLocaleString('en-US')}
          </button>
          <button
            type="button"
            className={`toggle${failedOnly ? ' on' : ''}${failed ? ' toggle-bad' : ''}`}
            aria-pressed={failedOnly}
            onClick={() => setFailedOnly(true)}
            disabled={!failed && !failedOnly}
            data-testid="rollout-failed-only"
          >
            Failed {failed.toLocaleString('en-US')}
          </button>
        </div>
      </div>
      <div className="simple-table-wrap">
        <table className="simple-table rollout-devices-table" data-testid="rollout-devices-table">
          <thead>
            <tr>
              <th scope="col">Batch</th>
              <th scope="col">Device</th>
              <th scope="col">State</th>
              <th scope="col">Booted → result</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, limit).map((d) => (
              <DeviceRow key={d.deviceId} dev={d} label={labels.get(d.batch) ?? `Batch ${d.batch}`} selected={selected === d.deviceId} onSelect={() => select(d)} />
            ))}
          </tbody>
        </table>
        {rows.length > limit ? (
          <div className="load-more">
            <button type="button" className="button" onClick={() => setLimit((n) => n + ROWS)}>
              Show {Math.min(ROWS, rows.length - limit).toLocaleString('en-US')} more of {(rows.length - limit).toLocaleString('en-US')}
            </button>
          </div>
        ) : null}
      </div>
      {selectedDev && shownJob ? (
        <div className="rollout-job" data-testid="rollout-device-job">
          <p className="rollout-job-head muted small">
            The job of <strong>{selectedDev.name}</strong> in this rollout: its phases and output.
          </p>
          <JobPanel deviceId={selectedDev.deviceId} />
        </div>
      ) : null}
    </section>
  );
}

/** The rollout page. */
export function RolloutPage({ id }: { id: string }): ReactElement {
  const rollout = useRollouts((s) => s.details[id]);
  const error = useRollouts((s) => s.errors[id]);
  const open = useRollouts((s) => s.open);
  const close = useRollouts((s) => s.close);
  const pause = useRollouts((s) => s.pause);
  const resume = useRollouts((s) => s.resume);
  const openDialog = useUi((s) => s.openDialog);
  const [busy, setBusy] = useState<'pause' | 'resume' | null>(null);

  useEffect(() => {
    void open(id);
    return () => close(id);
  }, [id, open, close]);

  useEffect(() => {
    if (rollout) document.title = `${rollout.name} · Rollouts · Bootfleet`;
  }, [rollout]);

  const back = <BackLink page="rollouts" label="Rollouts" />;
  if (error) {
    return <DetailPlaceholder back={back} notFound={{ heading: 'Rollout not found', title: 'There is no such rollout', icon: <RolloutIcon size={28} />, message: error.message }} />;
  }
  if (!rollout) return <DetailPlaceholder back={back} />;

  const r = rollout;
  const act = async (what: 'pause' | 'resume'): Promise<void> => {
    setBusy(what);
    await (what === 'pause' ? pause(id) : resume(id));
    setBusy(null);
  };
  const canPause = r.state === 'running' && !r.requested;
  const canResume = r.state === 'paused' || r.state === 'halted' || r.state === 'interrupted';
  const ended = r.state === 'done' || r.state === 'canceled';
  const canCancel = !ended && r.requested !== 'cancel';
  return (
    <div className="page rollout-page" data-testid="rollout-page" data-state={r.state} data-name={r.name}>
      <div className="page-header">
        <div className="device-title">
          {back}
          <div className="device-name-line">
            <h1 data-testid="rollout-name">{r.name}</h1>
            <RolloutStateBadge rollout={r} />
          </div>
          <p className="page-subtitle">
            {rolloutWhat(r)} · {plural(r.counts.total, 'device')} · started <RelativeTime iso={r.createdAt} /> by {r.actor}
            {r.finishedAt ? (
              <>
                {' '}
                · ended <span title={formatTime(r.finishedAt)}>{formatTime(r.finishedAt)}</span>
              </>
            ) : null}
          </p>
        </div>
        <div className="page-actions">
          {r.state === 'running' && r.requested ? (
            <span className="refresh-result muted" data-testid="rollout-requested">
              {r.requested === 'pause' ? 'Pausing: devices acting now finish…' : 'Cancelling: devices acting now finish…'}
            </span>
          ) : null}
          {ended ? null : (
            <>
              <button
                type="button"
                className="button"
                onClick={() => void act('pause')}
                disabled={!canPause || busy !== null}
                title="Devices acting now finish and are verified; no other device starts until you resume"
                data-testid="rollout-pause"
              >
                <PauseIcon /> Pause
              </button>
              <button
                type="button"
                className="button button-primary"
                onClick={() => void act('resume')}
                disabled={!canResume || busy !== null}
                title="Go on with the devices not yet done; finished devices are never acted on again"
                data-testid="rollout-resume"
              >
                <PlayIcon /> {busy === 'resume' ? 'Resuming…' : 'Resume'}
              </button>
              <button
                type="button"
                className="button"
                onClick={() => openDialog({ kind: 'rollout-cancel', rollout: r })}
                disabled={!canCancel}
                title="Skip the devices not yet started; devices acting now finish and are verified"
                data-testid="rollout-cancel"
              >
                <CloseIcon /> Cancel rollout
              </button>
            </>
          )}
        </div>
      </div>
      <div className="page-body scroll">
        <ReasonBanner rollout={r} />
        <section className="panel rollout-overview" data-testid="rollout-progress">
          <RolloutBar counts={r.counts} state={r.state} testId="rollout-bar" />
          <div className="rollout-overview-line">
            <CountsLine counts={r.counts} testId="rollout-counts" />
            <span className="muted small">{policyText(r)}</span>
          </div>
          <RolloutSource rollout={r} devices={r.devices} />
          <RolloutSignatures rollout={r} />
        </section>
        <Batches rollout={r} />
        <Devices rollout={r} />
      </div>
    </div>
  );
}

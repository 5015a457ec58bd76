/**
 * Rollouts (`#/rollouts`): every rollout with its state, progress and why it stopped, and the jobs
 * running and recent across all devices (a rollout's batches among them), each with its progress.
 * Both stay live through rollout.updated and job.updated.
 */
import { useEffect, type ReactElement } from 'react';
import type { Job, Rollout } from '../../../shared/contract';
import { EmptyState } from '../components/empty-state';
import { PlusIcon, RolloutIcon } from '../components/icons';
import { SegmentBar } from '../components/progress-bar';
import { CountsLine, RolloutBar, rolloutWhat, RolloutStateBadge } from '../components/rollout-status';
import { RelativeTime } from '../components/status';
import { plural } from '../lib/format';
import { actionVerb, jobProgress, jobStateLabel, phaseLabel } from '../lib/jobs';
import { useJobs } from '../stores/jobs';
import { useRollouts } from '../stores/rollouts';
import { routeHref, useUi } from '../stores/ui';

function RolloutRow({ rollout: r }: { rollout: Rollout }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  const open = (): void => navigate('rollouts', r.id);
  return (
    <tr className="clickable-row" onClick={open} data-testid="rollout-row" data-state={r.state} data-name={r.name}>
      <td className="rollout-name-cell">
        <a
          href={routeHref('rollouts', r.id)}
          className="cell-strong"
          onClick={(e) => {
            e.preventDefault();
            e.stopPropagation();
            open();
          }}
        >
          {r.name}
        </a>
        <span className="muted small cell-sub" title={r.image ?? undefined}>
          {rolloutWhat(r)}
        </span>
      </td>
      <td className="rollout-state-cell">
        <RolloutStateBadge rollout={r} />
        {r.reason ? (
          <span className={`cell-sub small rollout-reason${r.state === 'halted' || r.state === 'interrupted' ? ' bad' : ''}`} title={r.reason} data-testid="rollout-reason">
            {r.reason}
          </span>
        ) : null}
      </td>
      <td className="progress-cell">
        <RolloutBar counts={r.counts} state={r.state} size="thin" />
        <CountsLine counts={r.counts} testId="rollout-counts" />
      </td>
      <td className="nowrap muted">
        <RelativeTime iso={r.createdAt} />
      </td>
      <td className="nowrap muted">{r.actor}</td>
    </tr>
  );
}

function Rollouts({ onNew }: { onNew(): void }): ReactElement {
  const list = useRollouts((s) => s.list);
  if (list !== null && list.length === 0) {
    return (
      <EmptyState
        icon={<RolloutIcon size={28} />}
        title="No rollouts yet"
        actions={
          <button type="button" className="button button-primary" onClick={onNew}>
            <PlusIcon /> New rollout
          </button>
        }
      >
        <p>
          A rollout upgrades, switches or rolls back many devices in batches: a canary first, then the rest, halting when a batch fails more than you allow.
          Every device is verified after its reboot.
        </p>
      </EmptyState>
    );
  }
  return (
    <div className="simple-table-wrap">
      <table className="simple-table rollouts-table" data-testid="rollouts-table">
        <thead>
          <tr>
            <th scope="col">Rollout</th>
            <th scope="col">State</th>
            <th scope="col">Progress</th>
            <th scope="col">Started</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {list === null ? (
            <tr>
              <td colSpan={5} className="muted">
                Loading…
              </td>
            </tr>
          ) : (
            list.map((r) => <RolloutRow key={r.id} rollout={r} />)
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The devices of a job: a link to the one device, or "N devices" with their names on hover. */
function JobDevices({ job }: { job: Job }): ReactElement {
  const navigate = useUi((s) => s.navigate);
  const one = job.devices.length === 1 ? job.devices[0] : undefined;
  if (one) {
    return (
      <a
        href={routeHref('devices', one.deviceId)}
        onClick={(e) => {
          e.preventDefault();
          navigate('devices', one.deviceId);
        }}
        data-testid="job-device-link"
      >
        {one.name}
      </a>
    );
  }
  const names = job.devices.map((d) => d.name);
  return <span title={names.join('\n')}>{names.length <= 3 ? names.join(', ') : `${names.slice(0, 2).join(', ')} and ${plural(names.length - 2, 'more device')}`}</span>;
}

/** What a job's devices say: the one device's outcome or error, else the summary (or the phase while running). */
function jobOutcome(job: Job): { text: string; bad: boolean } {
  const one = job.devices.length === 1 ? job.devices[0] : undefined;
  if (one?.error) return { text: `${one.error.code}: ${one.error.message}`, bad: true };
  if (job.state === 'running') {
    const acting = job.devices.filter((d) => d.state === 'running');
    if (one) return { text: phaseLabel[one.phase] ?? one.phase, bad: false };
    return { text: acting.length ? `${acting.map((d) => `${d.name}: ${(phaseLabel[d.phase] ?? d.phase).toLowerCase()}`).join(', ')}` : 'waiting', bad: false };
  }
  const failed = job.devices.filter((d) => d.error);
  if (failed.length && !one) return { text: `${job.summary ?? ''}${job.summary ? ' · ' : ''}${failed.map((d) => `${d.name}: ${d.error!.code}`).join(', ')}`, bad: true };
  return { text: one?.outcome ?? job.summary ?? '', bad: job.state === 'failed' || job.state === 'interrupted' };
}

function JobRow({ job }: { job: Job }): ReactElement {
  const cancel = useJobs((s) => s.cancel);
  const p = jobProgress(job);
  const outcome = jobOutcome(job);
  const running = job.state === 'running';
  return (
    <tr data-testid="fleet-job" data-state={job.state} data-kind={job.kind} data-action={job.action}>
      <td>
        <span className={`job-state job-state-${job.state}`}>{jobStateLabel[job.state]}</span>
      </td>
      <td className="nowrap">
        <span className="cell-strong">
          {actionVerb[job.action]}
          {job.params.apply === true && job.action !== 'apply' ? ' + apply' : ''}
        </span>
        {job.kind === 'rollout' ? (
          <span className="badge" title="A batch of a rollout">
            rollout
          </span>
        ) : null}
      </td>
      <td className="job-devices-cell">
        <JobDevices job={job} />
      </td>
      <td className="progress-cell small-progress">
        <SegmentBar counts={p} label="Devices finished" ended={!running} state={job.state} size="thin" />
        <span className="counts-line">
          <span>
            {p.done + p.failed} of {p.total}
          </span>
        </span>
      </td>
      <td className={`job-outcome-cell${outcome.bad ? ' bad' : ''}`} title={outcome.text}>
        {outcome.text}
      </td>
      <td className="nowrap muted">
        <RelativeTime iso={job.createdAt} />
      </td>
      <td className="nowrap muted">{running ? '—' : <RelativeTime iso={job.finishedAt} />}</td>
      <td className="actions-cell">
        {running && job.kind !== 'rollout' ? (
          <button type="button" className="button small" onClick={() => void cancel(job.id)} title="Devices not yet rebooting stop; a device already rebooting is still verified" data-testid="fleet-job-cancel">
            Cancel
          </button>
        ) : running ? (
          <span className="muted small" title="Pause or cancel its rollout instead">
            in a rollout
          </span>
        ) : null}
      </td>
    </tr>
  );
}

function Jobs(): ReactElement {
  const ids = useJobs((s) => s.fleet);
  const jobs = useJobs((s) => s.jobs);
  const list = (ids ?? []).map((id) => jobs[id]).filter((j): j is Job => !!j);
  // Running first, then the newest.
  const shown = [...list.filter((j) => j.state === 'running'), ...list.filter((j) => j.state !== 'running')];
  return (
    <section className="panel" data-testid="fleet-jobs">
      <div className="panel-head">
        <h2 className="panel-title">Jobs</h2>
        <span className="muted small">Actions on devices and rollout batches, running and recent</span>
      </div>
      {ids !== null && shown.length === 0 ? (
        <p className="muted">No jobs yet. A device’s page runs actions on it; a rollout runs them in batches.</p>
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table jobs-table" data-testid="fleet-jobs-table">
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Action</th>
                <th scope="col">Devices</th>
                <th scope="col">Progress</th>
                <th scope="col">Outcome</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
                <th scope="col">
                  <span className="sr-only">Cancel</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {ids === null ? (
                <tr>
                  <td colSpan={8} className="muted">
                    Loading…
                  </td>
                </tr>
              ) : (
                shown.map((j) => <JobRow key={j.id} job={j} />)
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** The Rollouts page. */
export function RolloutsPage(): ReactElement {
  const list = useRollouts((s) => s.list);
  const load = useRollouts((s) => s.load);
  const loadJobs = useJobs((s) => s.loadFleet);
  const runningJobs = useJobs((s) => (s.fleet ?? []).filter((id) => s.jobs[id]?.state === 'running').length);
  const openDialog = useUi((s) => s.openDialog);

  useEffect(() => {
    void load();
    void loadJobs();
  }, [load, loadJobs]);

  const onNew = (): void => openDialog({ kind: 'rollout-new' });
  const running = (list ?? []).filter((r) => r.state === 'running').length;
  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Rollouts</h1>
          <p className="page-subtitle" data-testid="rollouts-count">
            {list === null ? (
              'Loading…'
            ) : (
              <>
                {plural(list.length, 'rollout')}
                {running ? ` · ${running} running` : ''}
                {runningJobs ? ` · ${plural(runningJobs, 'job')} running` : ''}
              </>
            )}
          </p>
        </div>
        <div className="page-actions">
          <button type="button" className="button button-primary" onClick={onNew} data-testid="rollouts-new">
            <PlusIcon /> New rollout
          </button>
        </div>
      </div>
      <div className="page-body scroll">
        <section className="panel" data-testid="rollouts">
          <div className="panel-head">
            <h2 className="panel-title">Rollouts</h2>
          </div>
          <Rollouts onNew={onNew} />
        </section>
        <Jobs />
      </div>
    </div>
  );
}

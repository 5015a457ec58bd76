/**
 * One device (`#/devices/<id>`): its state and a Refresh button, a changed host key to review,
 * its desired image and how it stands against it, the staged / booted / rollback deployments
 * side by side, the history of digests, the facts, the pinned host key and how Bootfleet connects.
 */
import { useEffect, type ReactElement } from 'react';
import { libraryPathOf, type BootcStatus, type DeviceDetail, type HostKey, type StatusSummary } from '../../../shared/contract';
import { ViaLibraryBadge } from '../components/booted-image';
import { DeploymentCard } from '../components/deployment-card';
import { BackLink, DetailPlaceholder } from '../components/detail-frame';
import { HostKeyAlert } from '../components/host-key-alert';
import { AlertIcon, DeviceIcon, EditIcon, RefreshIcon, TerminalIcon } from '../components/icons';
import { CopyButton, RelativeTime, StaleMarker, StatePill } from '../components/status';
import { errorHint } from '../lib/error-text';
import { formatAddress, formatBytes, formatDuration, formatTime } from '../lib/format';
import { deployedAs, followedName, refText } from '../lib/via-library';
import { useDeviceDetail } from '../stores/device-detail';
import { useJobs } from '../stores/jobs';
import { isRunning, useRefresh, type RefreshJob } from '../stores/refresh';
import { useTerminals } from '../stores/terminals';
import { useUi } from '../stores/ui';
import { ActionsBar, JobPanel, RecentJobs } from './device-actions';
import { DesiredCard } from './device-desired';
import { DeviceHistory } from './device-history';
import { DeviceRecordings } from './device-recordings';
import { TagChips } from '../components/tag-chips';

const keySource: Record<HostKey['source'], string> = {
  'first-use': 'pinned on first use',
  known_hosts: 'imported from known_hosts',
  accepted: 'accepted by a user after a change',
};

/** What the last contact said went wrong (the host key alert covers a changed key). */
function ContactError({ detail }: { detail: DeviceDetail }): ReactElement | null {
  const { error, lastAttemptAt } = detail.summary;
  if (!error || (error.code === 'SSH_HOST_KEY_CHANGED' && detail.hostKey?.offered)) return null;
  const hint = errorHint(error.code);
  return (
    <div className="banner banner-error device-banner" role="status" data-testid="contact-error">
      <AlertIcon />
      <span>
        <strong>The last contact failed</strong>
        {lastAttemptAt ? (
          <>
            {' '}
            (<RelativeTime iso={lastAttemptAt} />)
          </>
        ) : null}
        : {error.message} <code className="error-code">{error.code}</code>
        {hint && hint !== error.message ? <span className="banner-hint">{hint}</span> : null}
      </span>
    </div>
  );
}

/** The refresh result next to the button. */
function RefreshResult({ job }: { job: RefreshJob | undefined }): ReactElement | null {
  if (!job) return null;
  const p = job.progress;
  if (p.state === 'running') return <span className="refresh-result muted" data-testid="device-refresh-result" data-state="running">Contacting the device…</span>;
  if (p.state === 'done' && p.failed === 0 && p.ok > 0) {
    return (
      <span className="refresh-result ok" data-testid="device-refresh-result" data-state="ok">
        Refreshed <RelativeTime iso={p.finishedAt} />
      </span>
    );
  }
  const group = p.groups[0];
  return (
    <span className="refresh-result bad" data-testid="device-refresh-result" data-state="failed" title={group?.devices[0]?.message ?? p.message ?? ''}>
      {group ? `Refresh failed: ${group.label}` : (p.message ?? 'Refresh failed')}
    </span>
  );
}

/** The image the device follows: the registry image a library path stands for, marked "via library". */
function Follows({ spec, summary }: { spec: NonNullable<BootcStatus['specImage']>; summary: StatusSummary }): ReactElement {
  const path = libraryPathOf(spec);
  const text = refText(spec);
  if (!path) {
    return (
      <span className="status-note" data-testid="spec-image">
        Follows <code>{text}</code>
        <span className="muted"> (what bootc upgrade pulls)</span>
      </span>
    );
  }
  return (
    <span className="status-note" data-testid="spec-image" data-via="library" title={`On the device: ${text}`}>
      Follows <code>{followedName(spec, summary) ?? text}</code> <ViaLibraryBadge onDevice={text} />
      <span className="muted"> (its updates come from the library)</span>
    </span>
  );
}

/** Notes on the whole status: pending reboot, queued rollback, /usr overlay, the image followed. */
function StatusNotes({ status, summary }: { status: BootcStatus; summary: StatusSummary }): ReactElement | null {
  const notes: { text: string; tone: 'info' | 'warn'; id: string }[] = [];
  if (status.rollbackQueued) notes.push({ id: 'rollback-queued', tone: 'warn', text: 'Rollback queued: the next boot returns to the rollback deployment.' });
  else if (status.pendingReboot) notes.push({ id: 'pending-reboot', tone: 'info', text: 'Reboot pending: the next boot runs the staged deployment.' });
  if (status.staged?.downloadOnly) notes.push({ id: 'download-only', tone: 'info', text: 'The staged deployment is download-only: a reboot will not apply it.' });
  if (status.usrOverlay) {
    notes.push({ id: 'usr-overlay', tone: 'warn', text: `/usr overlay is active (${status.usrOverlay.accessMode}, ${status.usrOverlay.persistence}): changes to /usr are not from the image.` });
  }
  if (status.updateAvailable) notes.push({ id: 'update-available', tone: 'info', text: 'A check saw a newer image than the booted one.' });
  if (!status.specImage && notes.length === 0) return null;
  return (
    <div className="status-notes">
      {status.specImage ? <Follows spec={status.specImage} summary={summary} /> : null}
      {notes.map((n) => (
        <span key={n.id} className={`status-note note-${n.tone}`} data-testid={`note-${n.id}`}>
          {n.text}
        </span>
      ))}
    </div>
  );
}

function Deployments({ detail }: { detail: DeviceDetail }): ReactElement {
  const { status, summary } = detail;
  if (!status || !status.bootcHost) {
    const text =
      summary.reach === 'never'
        ? 'Bootfleet has not contacted this device yet. Refresh to read its bootc status.'
        : summary.reach === 'not-bootc' || (status && !status.bootcHost)
          ? 'This device answered, but it does not run bootc (or bootc reports no booted deployment).'
          : 'No bootc status has been read from this device yet.';
    return (
      <section className="panel" data-testid="deployments-empty">
        <h2 className="panel-title">Deployments</h2>
        <p className="muted">{text}</p>
      </section>
    );
  }
  const nextBoot = status.rollbackQueued ? 'rollback' : status.pendingReboot ? 'staged' : 'booted';
  return (
    <section className="deployments-section" aria-label="Deployments">
      <div className="section-head">
        <h2 className="section-title">Deployments</h2>
        {detail.statusAt ? (
          <span className="muted small">
            as of <RelativeTime iso={detail.statusAt} />
          </span>
        ) : null}
      </div>
      <StatusNotes status={status} summary={summary} />
      <div className="deployments">
        <DeploymentCard slot="staged" deployment={status.staged} note={nextBoot === 'staged' ? 'next boot' : null} />
        <DeploymentCard slot="booted" deployment={status.booted} note="running" imageAs={deployedAs(status.booted?.image?.ref, status.booted?.image?.digest, summary)} />
        <DeploymentCard slot="rollback" deployment={status.rollback} note={nextBoot === 'rollback' ? 'next boot' : null} />
      </div>
      {status.others.length > 0 ? (
        <div className="deployments deployments-others">
          {status.others.map((d, i) => (
            <DeploymentCard key={d.ostree?.checksum ?? i} slot="other" deployment={d} />
          ))}
        </div>
      ) : null}
    </section>
  );
}

function Facts({ detail }: { detail: DeviceDetail }): ReactElement {
  const f = detail.facts;
  return (
    <section className="panel" data-testid="device-facts">
      <div className="panel-head">
        <h2 className="panel-title">Facts</h2>
        {detail.factsAt ? (
          <span className="muted small">
            read <RelativeTime iso={detail.factsAt} />
          </span>
        ) : null}
      </div>
      {!f ? (
        <p className="muted">Not read yet: Refresh reads the hostname, OS, kernel and disks.</p>
      ) : (
        <>
          <dl className="info-list">
            <dt>Hostname</dt>
            <dd>{f.hostname ?? '—'}</dd>
            <dt>OS</dt>
            <dd>{f.osName ?? ([f.osId, f.osVersion].filter(Boolean).join(' ') || '—')}</dd>
            <dt>Kernel</dt>
            <dd className="mono">{f.kernel ?? '—'}</dd>
            <dt>Architecture</dt>
            <dd>{f.architecture ?? '—'}</dd>
            <dt>bootc</dt>
            <dd>{f.bootcVersion ?? '—'}</dd>
            <dt>Uptime</dt>
            <dd>{f.uptimeSeconds !== null ? formatDuration(f.uptimeSeconds) : '—'}</dd>
            <dt>Machine ID</dt>
            <dd className="mono">{f.machineId ?? '—'}</dd>
            <dt>Boot ID</dt>
            <dd className="mono">{f.bootId ?? '—'}</dd>
          </dl>
          <h3 className="subhead">Disks</h3>
          {f.disks.length === 0 ? (
            <p className="muted">No disks reported.</p>
          ) : (
            <div className="report-table-wrap">
              <table className="report-table" data-testid="device-disks">
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">Size</th>
                    <th scope="col">Type</th>
                    <th scope="col">Model</th>
                    <th scope="col">Mounted</th>
                  </tr>
                </thead>
                <tbody>
                  {f.disks.map((d) => (
                    <tr key={d.path}>
                      <td className="mono">
                        {d.path}
                        {d.readOnly ? <span className="badge">ro</span> : null}
                        {d.removable ? <span className="badge">removable</span> : null}
                      </td>
                      <td className="nowrap">{formatBytes(d.sizeBytes)}</td>
                      <td>
                        {d.type}
                        {d.transport ? <span className="muted"> · {d.transport}</span> : null}
                      </td>
                      <td title={d.serial ? `Serial ${d.serial}` : undefined}>{d.model ?? <span className="muted">—</span>}</td>
                      <td className="mono">{d.mountpoints.length ? d.mountpoints.join(', ') : <span className="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function HostKeyPanel({ hostKey }: { hostKey: HostKey | null }): ReactElement {
  return (
    <section className="panel" data-testid="device-hostkey">
      <h2 className="panel-title">Host key</h2>
      {!hostKey ? (
        <p className="muted">None pinned yet: the first connection pins the key the device presents.</p>
      ) : (
        <dl className="info-list">
          <dt>Fingerprint</dt>
          <dd>
            <span className="digest digest-full">
              <code data-testid="hostkey-fingerprint">{hostKey.fingerprint}</code>
              <CopyButton text={hostKey.fingerprint} what="fingerprint" />
            </span>
          </dd>
          <dt>Type</dt>
          <dd>{hostKey.keyType}</dd>
          <dt>Pinned</dt>
          <dd data-testid="hostkey-source">
            {formatTime(hostKey.pinnedAt)}, {keySource[hostKey.source]}
          </dd>
        </dl>
      )}
    </section>
  );
}

function Connection({ detail }: { detail: DeviceDetail }): ReactElement {
  const d = detail.device;
  const auth = d.auth === 'key' ? `key file ${d.keyPath ?? ''}` : d.auth === 'password' ? 'password' : 'ssh-agent';
  return (
    <section className="panel" data-testid="device-connection">
      <h2 className="panel-title">Connection</h2>
      <dl className="info-list">
        <dt>Address</dt>
        <dd className="mono">{formatAddress(d)}</dd>
        <dt>Login</dt>
        <dd>
          {auth}
          {d.hasSecret ? <span className="muted"> (secret stored)</span> : null}
          {d.sudo ? <span className="muted nowrap"> · sudo -n</span> : null}
        </dd>
        <dt>Jump hosts</dt>
        <dd>
          {detail.jumps.length ? <span className="mono">{detail.jumps.join(' → ')}</span> : <span className="muted">none (direct)</span>}
          {detail.jumps.length && !d.proxyJump ? <span className="muted"> (the site’s)</span> : null}
        </dd>
        <dt>Site</dt>
        <dd>{d.siteName ?? <span className="muted">none</span>}</dd>
        <dt>Tags</dt>
        <dd>
          <TagChips tags={d.tags} empty={<span className="muted">none</span>} />
        </dd>
        {d.notes ? (
          <>
            <dt>Notes</dt>
            <dd className="pre-wrap">{d.notes}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** The device page. */
export function DevicePage({ id }: { id: string }): ReactElement {
  const detail = useDeviceDetail((s) => s.detail);
  const error = useDeviceDetail((s) => s.error);
  const open = useDeviceDetail((s) => s.open);
  const close = useDeviceDetail((s) => s.close);
  const job = useRefresh((s) => (detail ? s.device[detail.device.id] : undefined));
  const refreshDevice = useRefresh((s) => s.refreshDevice);
  const openDialog = useUi((s) => s.openDialog);
  const loadRecentJobs = useJobs((s) => s.loadRecent);
  const clearJobsDevice = useJobs((s) => s.clearDevice);
  const openTerminal = useTerminals((s) => s.open);
  const deviceId = detail?.device.id ?? null;

  useEffect(() => {
    open(id);
    return () => close();
  }, [id, open, close]);

  useEffect(() => {
    if (!deviceId) return;
    void loadRecentJobs(deviceId);
    return () => clearJobsDevice();
  }, [deviceId, loadRecentJobs, clearJobsDevice]);

  useEffect(() => {
    if (detail) document.title = `${detail.device.name} · Bootfleet`;
  }, [detail]);

  const back = <BackLink page="devices" label="Devices" />;
  if (error) {
    return <DetailPlaceholder back={back} notFound={{ heading: 'Device not found', title: 'This device is not in the inventory', icon: <DeviceIcon size={28} />, message: error.message }} />;
  }
  if (!detail || (detail.device.id !== id && detail.device.name !== id)) return <DetailPlaceholder back={back} />;

  const d = detail.device;
  const running = isRunning(job);
  return (
    <div className="page device-page" data-testid="device-page" data-name={d.name}>
      <div className="page-header">
        <div className="device-title">
          {back}
          <div className="device-name-line">
            <h1 data-testid="device-name">{d.name}</h1>
            <StatePill summary={detail.summary} />
            <StaleMarker summary={detail.summary} />
          </div>
          <p className="page-subtitle">
            <span className="mono">{formatAddress(d)}</span>
            {d.siteName ? <> · site {d.siteName}</> : null} · last seen <RelativeTime iso={detail.summary.lastSeenAt} empty="never" />
          </p>
        </div>
        <div className="page-actions">
          <RefreshResult job={job} />
          <button
            type="button"
            className="button"
            onClick={() => openTerminal({ id: d.id, name: d.name })}
            title="A login shell on the device, over its pinned SSH connection"
            data-testid="device-open-terminal"
          >
            <TerminalIcon /> Open terminal
          </button>
          <button type="button" className="button" onClick={() => openDialog({ kind: 'device-form', device: d })} data-testid="device-page-edit">
            <EditIcon /> Edit
          </button>
          <button type="button" className="button button-primary" onClick={() => void refreshDevice(d.id, d.name)} disabled={running} data-testid="device-refresh">
            <RefreshIcon className={running ? 'spin' : undefined} /> {running ? 'Refreshing…' : 'Refresh'}
          </button>
        </div>
      </div>
      <div className="page-body scroll">
        {detail.hostKey?.offered ? (
          <HostKeyAlert hostKey={detail.hostKey} onAccept={() => openDialog({ kind: 'hostkey-accept', device: d, hostKey: detail.hostKey! })} />
        ) : null}
        <ContactError detail={detail} />
        <ActionsBar detail={detail} />
        <JobPanel deviceId={d.id} />
        <DesiredCard detail={detail} />
        <Deployments detail={detail} />
        <div className="device-grid">
          <div className="device-side">
            <DeviceHistory history={detail.history} onShowOutput={(snapshotId) => openDialog({ kind: 'snapshot', device: d, snapshotId })} />
            <DeviceRecordings key={d.id} device={d} />
          </div>
          <div className="device-side">
            <RecentJobs deviceId={d.id} />
            <Facts detail={detail} />
            <HostKeyPanel hostKey={detail.hostKey} />
            <Connection detail={detail} />
          </div>
        </div>
      </div>
    </div>
  );
}

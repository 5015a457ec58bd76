/**
 * Desired images: every image set on a site, a tag or a device, what its reference resolved to
 * (or why not), whether it requires signed images, how many devices it decides and how many of
 * those are behind; Set, Clear and Check registry; and the registries' logins.
 */
import { useEffect, type ReactElement } from 'react';
import type { DesiredEntry, Registry } from '../../../shared/contract';
import { EmptyState } from '../components/empty-state';
import { AlertIcon, EditIcon, PlusIcon, RefreshIcon, RolloutIcon, TargetIcon, TrashIcon } from '../components/icons';
import { RelativeTime, ShortDigest } from '../components/status';
import { scopeLabel, withoutRef } from '../lib/desired';
import { plural } from '../lib/format';
import { useDesired } from '../stores/desired';
import { useDevices } from '../stores/devices';
import { routeHref, useUi, type DesiredTarget } from '../stores/ui';

/** The digest an entry stands for: pinned in the reference, resolved (and when), or why not. */
export function ResolutionCell({ entry }: { entry: Pick<DesiredEntry, 'pinnedDigest' | 'resolution'> }): ReactElement {
  const { pinnedDigest, resolution: r } = entry;
  if (pinnedDigest) {
    return (
      <span className="resolution" data-testid="resolution" data-state="pinned">
        <ShortDigest digest={pinnedDigest} />
        <span className="badge" title="The reference names this digest: no registry check needed">
          pinned
        </span>
      </span>
    );
  }
  return (
    <span className="resolution" data-testid="resolution" data-state={r?.error ? 'error' : r?.digest ? 'resolved' : 'none'}>
      {r?.digest ? (
        <>
          <ShortDigest digest={r.digest} />
          {r.resolvedAt ? (
            <span className="muted small nowrap">
              <RelativeTime iso={r.resolvedAt} />
            </span>
          ) : null}
        </>
      ) : !r?.error ? (
        <span className="muted">not checked yet</span>
      ) : null}
      {r?.error ? (
        <span className="resolution-error" title={`${r.error.message} (${r.error.code})`} data-testid="resolution-error">
          <AlertIcon size={13} />
          <span className="resolution-error-text">{withoutRef(r.error.message, r.ref)}</span>
        </span>
      ) : null}
    </span>
  );
}

function targetOf(e: DesiredEntry): DesiredTarget {
  return { scope: e.scope, target: e.target, targetName: e.targetName };
}

function EntryRow({ entry: e }: { entry: DesiredEntry }): ReactElement {
  const openDialog = useUi((s) => s.openDialog);
  const navigate = useUi((s) => s.navigate);
  const showStatus = useDevices((s) => s.showStatus);
  /** The rollout wizard for the devices of this entry that are behind. */
  const rollOut = (): void =>
    openDialog({
      kind: 'rollout-new',
      preset: {
        ...(e.scope === 'device' ? { devices: [e.targetName] } : { filter: { ...(e.scope === 'site' ? { site: e.targetName } : { tags: [e.target] }), desired: ['behind'] } }),
        source: `the devices behind the desired image of ${e.scope} ${e.targetName}`,
        action: 'upgrade',
        image: e.image,
      },
    });
  /** The devices this entry decides in the devices table (a device entry: its page). */
  const show = (behind: boolean): void => {
    if (e.scope === 'device') return navigate('devices', e.target);
    showStatus({ ...(e.scope === 'site' ? { site: e.targetName } : { tags: [e.target] }), ...(behind ? { desired: ['behind'] } : {}) });
    navigate('devices');
  };
  return (
    <tr data-testid="desired-row" data-scope={e.scope} data-target={e.targetName}>
      <td>
        <span className={`scope-chip scope-${e.scope}`}>{scopeLabel[e.scope]}</span>
      </td>
      <td className="cell-strong nowrap">
        {e.scope === 'device' ? (
          <a
            href={routeHref('devices', e.target)}
            onClick={(ev) => {
              ev.preventDefault();
              navigate('devices', e.target);
            }}
          >
            {e.targetName}
          </a>
        ) : (
          e.targetName
        )}
      </td>
      <td className="image-cell">
        <span className="desired-image">
          <code title={e.image}>{e.image}</code>
          {e.requireSigned ? (
            <span
              className="badge badge-ok"
              title="Requires signed images: the audit reports devices that boot it without a signature policy (switch them with Enforce signature policy)"
              data-testid="desired-signed"
            >
              signed
            </span>
          ) : null}
        </span>
      </td>
      <td className="resolution-cell">
        <ResolutionCell entry={e} />
      </td>
      <td className="num">
        <button type="button" className="link-button" title={`Show the devices whose desired image this is`} onClick={() => show(false)} data-testid="desired-devices">
          {e.deviceCount.toLocaleString('en-US')}
        </button>
      </td>
      <td className="num">
        {e.behindCount > 0 ? (
          <span className="behind-cell">
            <button type="button" className="behind-link" title="Show the devices that run another image" onClick={() => show(true)} data-testid="desired-behind">
              {e.behindCount.toLocaleString('en-US')} behind
            </button>
            <button type="button" className="icon-button small" aria-label={`Roll out to the devices behind ${e.image}`} title="Roll out to these devices…" onClick={rollOut} data-testid="desired-rollout">
              <RolloutIcon size={14} />
            </button>
          </span>
        ) : (
          <span className="muted" data-testid="desired-behind">
            0
          </span>
        )}
      </td>
      <td className="nowrap muted" title={e.updatedBy ? `by ${e.updatedBy}` : undefined}>
        <RelativeTime iso={e.updatedAt} />
      </td>
      <td className="actions-cell">
        <span className="row-actions">
          <button
            type="button"
            className="icon-button"
            aria-label={`Change the desired image of ${e.scope} ${e.targetName}`}
            title="Change"
            data-testid="desired-edit"
            onClick={() => openDialog({ kind: 'desired-set', for: targetOf(e), image: e.image, requireSigned: e.requireSigned })}
          >
            <EditIcon size={15} />
          </button>
          <button
            type="button"
            className="icon-button danger"
            aria-label={`Clear the desired image of ${e.scope} ${e.targetName}`}
            title="Clear"
            data-testid="desired-clear"
            onClick={() => openDialog({ kind: 'desired-clear', for: targetOf(e), image: e.image, deviceCount: e.deviceCount })}
          >
            <TrashIcon size={15} />
          </button>
        </span>
      </td>
    </tr>
  );
}

function Registries(): ReactElement {
  const registries = useDesired((s) => s.registries);
  const load = useDesired((s) => s.loadRegistries);
  const openDialog = useUi((s) => s.openDialog);
  useEffect(() => {
    void load();
  }, [load]);
  const edit = (r: Registry | null): void => openDialog({ kind: 'registry-form', registry: r });
  return (
    <section className="panel" data-testid="registries">
      <div className="panel-head">
        <h2 className="panel-title">Registries</h2>
        <button type="button" className="button small" onClick={() => edit(null)} data-testid="registries-add">
          <PlusIcon size={14} /> Add registry
        </button>
      </div>
      {registries !== null && registries.length === 0 ? (
        <p className="muted">None configured: images are resolved anonymously, over TLS (loopback registries also over plain HTTP). Add one for a login or plain HTTP.</p>
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table" data-testid="registries-table">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Transport</th>
                <th scope="col">Login</th>
                <th scope="col">Changed</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(registries ?? []).map((r) => (
                <tr key={r.host} data-testid="registry-row" data-host={r.host}>
                  <td className="mono cell-strong">{r.host}</td>
                  <td>{r.insecure ? <span className="badge badge-warn">plain HTTP</span> : 'TLS'}</td>
                  <td>
                    {r.username ? (
                      <>
                        {r.username}
                        <span className="muted">{r.hasPassword ? ' · password stored' : ' · no password'}</span>
                      </>
                    ) : (
                      <span className="muted">anonymous</span>
                    )}
                  </td>
                  <td className="nowrap muted">
                    <RelativeTime iso={r.updatedAt} />
                  </td>
                  <td className="actions-cell">
                    <span className="row-actions">
                      <button type="button" className="icon-button" aria-label={`Edit ${r.host}`} title="Edit" data-testid="registry-edit" onClick={() => edit(r)}>
                        <EditIcon size={15} />
                      </button>
                      <button
                        type="button"
                        className="icon-button danger"
                        aria-label={`Remove ${r.host}`}
                        title="Remove"
                        data-testid="registry-remove"
                        onClick={() => openDialog({ kind: 'registry-remove', registry: r })}
                      >
                        <TrashIcon size={15} />
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** What the last Check registry found, next to its button. */
function CheckResult(): ReactElement | null {
  const resolving = useDesired((s) => s.resolving);
  const last = useDesired((s) => s.lastCheck);
  if (resolving) {
    return (
      <span className="refresh-result muted" data-testid="desired-check-result" data-state="running">
        Asking the registries…
      </span>
    );
  }
  if (!last) return null;
  const ok = last.failed.length === 0;
  return (
    <span className={`refresh-result ${ok ? 'ok' : 'bad'}`} data-testid="desired-check-result" data-state={ok ? 'ok' : 'failed'} title={last.failed.map((f) => `${f.ref}: ${f.error?.message ?? ''}`).join('\n')}>
      {ok ? `Checked ${plural(last.total, 'image')}` : `${last.failed.length} of ${plural(last.total, 'image')} not resolved`} <RelativeTime iso={last.at} />
    </span>
  );
}

/** The Desired images page. */
export function DesiredPage(): ReactElement {
  const entries = useDesired((s) => s.entries);
  const deviceEntries = useDesired((s) => s.deviceEntries);
  const resolving = useDesired((s) => s.resolving);
  const load = useDesired((s) => s.load);
  const resolve = useDesired((s) => s.resolve);
  const openDialog = useUi((s) => s.openDialog);

  useEffect(() => {
    void load();
  }, [load]);

  const setImage = (): void => openDialog({ kind: 'desired-set', for: null });
  const listedDevices = (entries ?? []).filter((e) => e.scope === 'device').length;
  const behind = (entries ?? []).reduce((n, e) => n + e.behindCount, 0);

  return (
    <div className="page">
      <div className="page-header">
        <div>
          <h1>Desired images</h1>
          <p className="page-subtitle" data-testid="desired-count">
            {entries === null ? (
              'Loading…'
            ) : (
              <>
                {plural(entries.length - listedDevices + deviceEntries, 'desired image')}
                {behind > 0 ? (
                  <>
                    {' · '}
                    <strong className="behind-text">{plural(behind, 'device')} behind</strong>
                  </>
                ) : null}
              </>
            )}
          </p>
        </div>
        <div className="page-actions">
          <CheckResult />
          <button
            type="button"
            className="button"
            onClick={() => void resolve()}
            disabled={resolving || !entries?.length}
            title="Ask the registries what each desired tag points at now"
            data-testid="desired-check"
          >
            <RefreshIcon className={resolving ? 'spin' : undefined} /> {resolving ? 'Checking…' : 'Check registry'}
          </button>
          <button type="button" className="button button-primary" onClick={setImage} data-testid="desired-add">
            <PlusIcon /> Set desired image
          </button>
        </div>
      </div>
      <div className="page-body scroll">
        {entries !== null && entries.length === 0 ? (
          <EmptyState
            icon={<TargetIcon size={28} />}
            title="No desired images yet"
            actions={
              <button type="button" className="button button-primary" onClick={setImage}>
                <PlusIcon /> Set a desired image
              </button>
            }
          >
            <p>
              Say which image the devices of a site, the devices with a tag, or one device should run. The most specific wins: a device’s own image, then its
              tags’, then its site’s. Bootfleet then shows which devices are behind.
            </p>
          </EmptyState>
        ) : (
          <div className="simple-table-wrap">
            <table className="simple-table desired-table" data-testid="desired-table">
              <thead>
                <tr>
                  <th scope="col">Scope</th>
                  <th scope="col">For</th>
                  <th scope="col">Image</th>
                  <th scope="col">Digest</th>
                  <th scope="col" className="num" title="Devices whose desired image this is (after more specific ones)">
                    Devices
                  </th>
                  <th scope="col" className="num" title="Of those, the devices known to run another image">
                    Behind
                  </th>
                  <th scope="col">Changed</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {(entries ?? []).map((e) => (
                  <EntryRow key={`${e.scope}/${e.target}`} entry={e} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {deviceEntries > listedDevices ? (
          <p className="muted small" data-testid="desired-more-devices">
            {plural(deviceEntries, 'device')} set their own desired image; the first {listedDevices.toLocaleString('en-US')} by name are listed.
          </p>
        ) : null}
        <Registries />
      </div>
    </div>
  );
}

/**
 * The device page's Desired image card: the image that applies and where it comes from, the digest
 * it stands for, how the device stands against it in words, the tags in conflict, and Set / Clear
 * for the device's own image.
 */
import { useEffect, type ReactElement, type ReactNode } from 'react';
import type { DeviceDetail } from '../../../shared/contract';
import { EditIcon, TrashIcon } from '../components/icons';
import { CopyButton, DesiredBadge, FullDigest, RelativeTime } from '../components/status';
import { desiredSource, imageLabel, withoutRef } from '../lib/desired';
import { shortDigest } from '../lib/format';
import { useDesired } from '../stores/desired';
import { routeHref, useUi } from '../stores/ui';

const Digest = ({ digest }: { digest: string }): ReactElement => (
  <span className="mono" title={digest}>
    {shortDigest(digest)}
  </span>
);

/** The state in one sentence, with the digests it compares. */
function StateSentence({ detail }: { detail: DeviceDetail }): ReactElement {
  const d = detail.device.desired;
  const booted = detail.summary.booted;
  const bootedText = booted ? (
    <>
      Booted <Digest digest={booted.digest} />
      {booted.version ? <span className="muted"> ({booted.version})</span> : null}
    </>
  ) : null;
  const want = d.image ? <strong>{imageLabel(d.image)}</strong> : null;
  const wantDigest = d.digest ? (
    <>
      {' '}
      (<Digest digest={d.digest} />)
    </>
  ) : null;
  let text: ReactNode;
  switch (d.state) {
    case 'in-sync':
      text = (
        <>
          {bootedText}: the desired {want}. In sync.
        </>
      );
      break;
    case 'staged':
      text = (
        <>
          {bootedText}. The desired {want}
          {wantDigest} is staged: it runs after the next reboot.
        </>
      );
      break;
    case 'behind':
      text = (
        <>
          {bootedText}: behind the desired {want}
          {wantDigest}.
        </>
      );
      break;
    case 'unresolved':
      text = (
        <>
          {bootedText}. The desired {want} has not been resolved to a digest yet, so whether the device runs it is not known: Check registry on the{' '}
          <DesiredLink /> page.
        </>
      );
      break;
    case 'unknown':
      text = <>The image this device booted is not known yet: Refresh it to compare with the desired {want}.</>;
      break;
    case 'conflict':
      text = <>Its tags ask for different images, so none applies. Set an image on the device, or make the tags agree.</>;
      break;
    case 'none':
      text = (
        <>
          No desired image applies: none is set on this device{detail.device.siteName ? `, its tags or its site ${detail.device.siteName}` : ' or its tags'}. Set one here, or
          for a site or a tag on the <DesiredLink /> page.
        </>
      );
      break;
  }
  return (
    <p className={`desired-sentence desired-sentence-${d.state}`} data-testid="desired-sentence">
      {text}
    </p>
  );
}

function DesiredLink(): ReactElement {
  const navigate = useUi((s) => s.navigate);
  return (
    <a
      href={routeHref('desired')}
      onClick={(e) => {
        e.preventDefault();
        navigate('desired');
      }}
    >
      Desired images
    </a>
  );
}

/** The Desired image card (`data-testid="device-desired"`). */
export function DesiredCard({ detail }: { detail: DeviceDetail }): ReactElement {
  const device = detail.device;
  const d = device.desired;
  const openDialog = useUi((s) => s.openDialog);
  const entries = useDesired((s) => s.entries);
  const loadEntries = useDesired((s) => s.load);
  // The entries carry each reference's last registry answer, failures included.
  useEffect(() => {
    if (entries === null) void loadEntries();
  }, [entries, loadEntries]);
  const resolution = d.image && !d.pinned ? (entries?.find((e) => e.image === d.image)?.resolution ?? null) : null;
  const self = { scope: 'device' as const, target: device.id, targetName: device.name };

  return (
    <section className={`panel desired-card desired-card-${d.state}`} data-testid="device-desired" data-state={d.state}>
      <div className="panel-head">
        <h2 className="panel-title desired-card-title">
          Desired image <DesiredBadge desired={d} />
        </h2>
        <div className="desired-card-actions">
          <button
            type="button"
            className="button small"
            onClick={() =>
              openDialog({
                kind: 'desired-set',
                for: self,
                image: device.desiredImage ?? d.image ?? '',
                requireSigned: !!device.desiredImage && !!entries?.find((e) => e.scope === 'device' && e.target === device.id)?.requireSigned,
              })
            }
            title="Set the image this device should run; it wins over its tags’ and its site’s"
            data-testid="desired-set-device"
          >
            <EditIcon size={14} /> {device.desiredImage ? 'Change device’s image…' : 'Set image on this device…'}
          </button>
          {device.desiredImage ? (
            <button
              type="button"
              className="button small"
              onClick={() => openDialog({ kind: 'desired-clear', for: self, image: device.desiredImage!, deviceCount: 1 })}
              title="Remove the image set on this device; the one its tags or its site ask for then applies"
              data-testid="desired-clear-device"
            >
              <TrashIcon size={14} /> Clear device’s image
            </button>
          ) : null}
        </div>
      </div>
      <StateSentence detail={detail} />
      {d.state === 'conflict' ? (
        <ul className="desired-conflicts" data-testid="desired-conflicts">
          {d.conflicts.map((c) => (
            <li key={c.tag}>
              <span className="chip">{c.tag}</span> asks for <code>{c.image}</code>
            </li>
          ))}
        </ul>
      ) : null}
      {d.image ? (
        <dl className="info-list">
          <dt>Image</dt>
          <dd>
            <span className="digest digest-full">
              <code data-testid="desired-image">{d.image}</code>
              <CopyButton text={d.image} what="image" testId="copy-image" />
            </span>
          </dd>
          <dt>From</dt>
          <dd data-testid="desired-source">
            {d.source === 'device' ? 'this device (its own, wins over tags and site)' : desiredSource(d).replace(/^from /, '')}
          </dd>
          <dt>Digest</dt>
          <dd data-testid="desired-digest">
            {d.digest ? (
              <>
                <FullDigest digest={d.digest} />
                <span className="muted small">
                  {d.pinned ? (
                    'pinned in the reference'
                  ) : d.resolvedAt ? (
                    <>
                      resolved <RelativeTime iso={d.resolvedAt} />
                    </>
                  ) : null}
                </span>
              </>
            ) : (
              <span className="muted">not resolved yet</span>
            )}
            {resolution?.error ? (
              <span className="resolution-error" data-testid="desired-resolution-error">
                Last check failed: {withoutRef(resolution.error.message, resolution.ref)} <code className="error-code">{resolution.error.code}</code>
              </span>
            ) : null}
          </dd>
        </dl>
      ) : null}
    </section>
  );
}

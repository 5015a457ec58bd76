/** One bootc deployment (staged, booted, rollback or other) as a card. */
import type { ReactElement, ReactNode } from 'react';
import type { Deployment } from '../../../shared/contract';
import { formatTime } from '../lib/format';
import { refText } from '../lib/via-library';
import { ViaLibraryBadge } from './booted-image';
import { FullDigest, ShortDigest } from './status';

const slotTitle: Record<Deployment['slot'], string> = {
  staged: 'Staged',
  booted: 'Booted',
  rollback: 'Rollback',
  other: 'Other deployment',
};

const emptyText: Record<Deployment['slot'], ReactNode> = {
  staged: (
    <>
      Nothing staged. <code>bootc upgrade</code> or <code>bootc switch</code> stages an image for the next boot.
    </>
  ),
  booted: 'No booted deployment.',
  rollback: 'No rollback deployment. One appears after the device boots a new image.',
  other: '',
};

export interface DeploymentCardProps {
  slot: Deployment['slot'];
  deployment: Deployment | null;
  /** A short note in the header, e.g. "next boot". */
  note?: string | null;
  /** The registry image its reference stands for, when Bootfleet sent it from the library (the reference is a path on the device). */
  imageAs?: string | null;
}

function Row({ label, children }: { label: string; children: ReactNode }): ReactElement {
  return (
    <>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** A deployment card (`data-testid="deployment-<slot>"`). */
export function DeploymentCard({ slot, deployment: d, note, imageAs }: DeploymentCardProps): ReactElement {
  const img = d?.image ?? null;
  return (
    <section className={`deployment-card deployment-${slot}${d ? '' : ' deployment-empty'}`} data-testid={`deployment-${slot}`} aria-label={slotTitle[slot]}>
      <header className="deployment-head">
        <h3>{slotTitle[slot]}</h3>
        {note ? <span className="deployment-note">{note}</span> : null}
        {d ? (
          <span className="badges">
            {d.pinned ? <span className="badge" title="Pinned: kept when newer deployments are added">pinned</span> : null}
            {d.downloadOnly ? (
              <span className="badge badge-warn" title="Staged with --download-only: it will NOT be applied at the next reboot">
                download only
              </span>
            ) : null}
            {d.softRebootCapable ? <span className="badge" title="Can be applied with a soft reboot (userspace only)">soft reboot</span> : null}
            {d.incompatible ? (
              <span className="badge badge-warn" title="Has rpm-ostree changes: bootc verbs refuse it">
                incompatible
              </span>
            ) : null}
          </span>
        ) : null}
      </header>
      {!d ? (
        <p className="muted deployment-empty-text">{emptyText[slot]}</p>
      ) : (
        <dl className="deployment-fields">
          <Row label="Image">
            {img && imageAs ? (
              <>
                <code className="wrap" data-testid={`deployment-${slot}-as`}>
                  {imageAs}
                </code>{' '}
                <ViaLibraryBadge onDevice={refText(img.ref)} />
                <span className="on-device-path">
                  on the device: <code>{refText(img.ref)}</code>
                </span>
              </>
            ) : img ? (
              <code className="wrap">{img.ref.image}</code>
            ) : (
              <span className="muted">not a bootc image (plain ostree)</span>
            )}
          </Row>
          {img ? (
            <Row label="Transport">
              {img.ref.transport}
              {img.ref.signature ? <span className="muted"> · signature {img.ref.signature}</span> : null}
            </Row>
          ) : null}
          {img ? (
            <Row label="Digest">
              <FullDigest digest={img.digest} testId={`deployment-${slot}-digest`} />
            </Row>
          ) : null}
          {img ? <Row label="Version">{img.version ? <span data-testid={`deployment-${slot}-version`}>{img.version}</span> : <span className="muted">—</span>}</Row> : null}
          {img ? <Row label="Built">{img.timestamp ? formatTime(img.timestamp) : <span className="muted">—</span>}</Row> : null}
          {img ? <Row label="Architecture">{img.architecture ?? <span className="muted">not reported</span>}</Row> : null}
          {d.cachedUpdate ? (
            <Row label="Update seen">
              <span className="cached-update" title={`A check saw a newer image for this reference: ${d.cachedUpdate.digest}`}>
                {d.cachedUpdate.version ?? 'no version'} <ShortDigest digest={d.cachedUpdate.digest} />
              </span>
            </Row>
          ) : null}
          {d.ostree ? (
            <Row label="ostree">
              <span className="mono" title={d.ostree.checksum}>
                {d.ostree.checksum.slice(0, 12)}
              </span>
              <span className="muted">
                {' '}
                · serial {d.ostree.deploySerial}
                {d.ostree.stateroot ? ` · ${d.ostree.stateroot}` : ''}
              </span>
            </Row>
          ) : null}
        </dl>
      )}
    </section>
  );
}

/**
 * The Provision page's first two steps. Boxes: the addresses of boxes booted from live media, the
 * bench's login (shared, or a box's own), and what `provision.inspect` says of each box (system,
 * bootc and podman, privileges, the host key pinned, problems; a changed host key said loudly).
 * Disks: each box's disks, those that cannot take the install disabled with the reason, and a
 * disk that holds data chosen only with Wipe ticked and its name typed.
 */
import { useState, type ReactElement } from 'react';
import { ErrorCode, type ProvisionHost } from '../../../shared/contract';
import { Field } from '../components/field';
import { AlertIcon, CheckIcon, CloseIcon, InfoIcon, KeyIcon, PlusIcon, RefreshIcon } from '../components/icons';
import { StepTitle } from '../components/step-title';
import { CopyButton } from '../components/status';
import { driveMounts } from '../lib/flash';
import { formatBytes, formatDecimalBytes, plural } from '../lib/format';
import {
  addressOf,
  boxFieldErrors,
  chosenDisk,
  diskContents,
  HOST_KEY_COMMAND,
  loginErrors,
  systemLine,
  targetKey,
  targetOf,
  type BoxDraft,
  type LiveAuth,
  type LiveLogin,
} from '../lib/provision';
import { useProvision, type Inspection } from '../stores/provision';

/** Opens the file browser (titled `title`, near `current`, else in `fallback`); `choose` gets the path. */
export type BrowseFile = (title: string, current: string, choose: (path: string) => void, fallback?: string) => void;

const authLabel: Record<LiveAuth, string> = { password: 'Password', key: 'Key file', agent: 'SSH agent' };

/** User, how to log in, and the password or key file. */
function LoginFields({ prefix, login, onChange, errors, onBrowse }: { prefix: string; login: LiveLogin; onChange(patch: Partial<LiveLogin>): void; errors: Record<string, string>; onBrowse: BrowseFile }): ReactElement {
  return (
    <div className="provision-login">
      <Field name={`${prefix}-user`} label="User" error={errors.user} className="provision-login-user">
        {(p) => <input {...p} type="text" value={login.user} onChange={(e) => onChange({ user: e.target.value })} autoComplete="off" spellCheck={false} />}
      </Field>
      <div className="field provision-login-auth">
        <span className="field-label" id={`${prefix}-auth-label`}>
          Log in with
        </span>
        <div className="toggle-group" role="group" aria-labelledby={`${prefix}-auth-label`}>
          {(['password', 'key', 'agent'] as const).map((a) => (
            <button key={a} type="button" className={`toggle${login.auth === a ? ' on' : ''}`} aria-pressed={login.auth === a} onClick={() => onChange({ auth: a })} data-testid={`${prefix}-auth-${a}`}>
              {authLabel[a]}
            </button>
          ))}
        </div>
      </div>
      {login.auth === 'password' ? (
        <Field name={`${prefix}-password`} label="Password" error={errors.password} className="provision-login-secret" hint="Kept in this window only; never stored.">
          {(p) => <input {...p} type="password" value={login.password} onChange={(e) => onChange({ password: e.target.value })} autoComplete="off" />}
        </Field>
      ) : login.auth === 'key' ? (
        <Field name={`${prefix}-key`} label="Private key file" error={errors.keyPath} className="provision-login-secret" hint="On the machine Bootfleet runs on.">
          {(p) => (
            <div className="input-row">
              <input {...p} type="text" className="mono" value={login.keyPath} onChange={(e) => onChange({ keyPath: e.target.value })} placeholder="/home/tech/.ssh/id_ed25519" spellCheck={false} />
              <button type="button" className="button" onClick={() => onBrowse('Choose the private key', login.keyPath, (keyPath) => onChange({ keyPath }), '~/.ssh')} aria-label="Browse for the private key">
                Browse…
              </button>
            </div>
          )}
        </Field>
      ) : (
        <p className="muted small provision-login-secret provision-agent-note">The keys of the SSH agent Bootfleet was started with (SSH_AUTH_SOCK).</p>
      )}
    </div>
  );
}

/** A fingerprint in full, with its type, a copy button, and a word on where it came from. */
function Fingerprint({ keyType, fingerprint, note, testId }: { keyType: string; fingerprint: string; note?: string; testId?: string }): ReactElement {
  return (
    <span className="fingerprint">
      <code data-testid={testId}>{fingerprint}</code>
      <CopyButton text={fingerprint} what="fingerprint" />
      <span className="muted small">
        {keyType}
        {note ? ` · ${note}` : ''}
      </span>
    </span>
  );
}

interface KeyPair {
  keyType: string;
  fingerprint: string;
}

/**
 * The box presented another host key than the one pinned for its address: refused, old and new
 * shown; the new one is accepted only after the technician says it matches the box's console.
 */
function HostKeyChanged({ boxId, details, address }: { boxId: number; details: unknown; address: string }): ReactElement {
  const d = (details ?? {}) as { old?: KeyPair; new?: KeyPair };
  const accept = useProvision((s) => s.acceptLiveHostKey);
  const accepting = useProvision((s) => !!s.acceptingKey[boxId]);
  const error = useProvision((s) => s.acceptKeyErrors[boxId]);
  const [checked, setChecked] = useState(false);
  return (
    <section className="alert alert-danger provision-hostkey-changed" role="alert" data-testid="inspect-hostkey-changed">
      <AlertIcon size={18} />
      <div className="alert-body">
        <h2>The host key of {address} changed — not connected</h2>
        <p>
          This address presented a different SSH host key than the one pinned when it was first inspected, so Bootfleet refused to connect. Live media usually make new
          host keys at every boot, so this is expected if the box was restarted; otherwise someone may be intercepting the connection. Compare the offered fingerprint
          with the box’s console: <code>{HOST_KEY_COMMAND}</code>
        </p>
        <dl className="fingerprints">
          <dt>Pinned</dt>
          <dd>{d.old ? <Fingerprint {...d.old} testId="inspect-hostkey-old" /> : <span className="muted">unknown</span>}</dd>
          <dt>Offered</dt>
          <dd>{d.new ? <Fingerprint {...d.new} testId="inspect-hostkey-new" /> : <span className="muted">unknown</span>}</dd>
        </dl>
        {d.new ? (
          <div className="alert-actions hostkey-accept-row">
            <label className="check">
              <input type="checkbox" checked={checked} onChange={(e) => setChecked(e.target.checked)} data-testid="inspect-hostkey-checked" />
              <span>The box’s console shows this fingerprint</span>
            </label>
            <button type="button" className="button button-danger" disabled={!checked || accepting} onClick={() => void accept(boxId, d.new!.fingerprint)} data-testid="inspect-hostkey-accept">
              <KeyIcon size={15} /> {accepting ? 'Accepting…' : 'Accept the new key and inspect'}
            </button>
          </div>
        ) : null}
        {error ? (
          <div className="form-error" role="alert" data-testid="inspect-hostkey-accept-error">
            <AlertIcon />
            <span>{error}</span>
          </div>
        ) : null}
      </div>
    </section>
  );
}

const privilegeLabel: Record<ProvisionHost['privileged'], string> = { root: 'root', sudo: 'sudo without a password', no: 'none: cannot install' };
const methodLabel: Record<ProvisionHost['method'], string> = { podman: 'podman (the documented way)', bootc: 'bootc directly (no podman)', none: 'cannot install' };

/** What an inspection found, or why it failed. */
function InspectResult({ boxId, inspection, current, address }: { boxId: number; inspection: Inspection; current: boolean; address: string }): ReactElement {
  if (inspection.state === 'busy') {
    return (
      <p className="flash-busy" role="status" data-testid="inspect-result" data-state="busy">
        <RefreshIcon className="spin" size={14} /> Connecting to {address} and reading the live system…
      </p>
    );
  }
  if (inspection.state === 'error' || !inspection.host) {
    const e = inspection.error;
    return (
      <div data-testid="inspect-result" data-state="error" data-code={e?.code}>
        {e?.code === ErrorCode.SSH_HOST_KEY_CHANGED ? (
          <HostKeyChanged boxId={boxId} details={e.details} address={address} />
        ) : (
          <div className="form-error" role="alert">
            <AlertIcon />
            <span>
              {e?.message ?? 'The box could not be inspected.'} {e ? <code className="error-code">{e.code}</code> : null}
            </span>
          </div>
        )}
      </div>
    );
  }
  const h = inspection.host;
  const usable = h.disks.filter((d) => d.problems.length === 0).length;
  const ok = h.problems.length === 0 && h.method !== 'none';
  return (
    <div className={`inspect-card${current ? '' : ' stale'}${ok ? '' : ' bad'}`} data-testid="inspect-result" data-state="done" data-method={h.method}>
      <div className="inspect-head">
        {ok ? <CheckIcon className="ok-icon" size={15} /> : <AlertIcon className="bad-icon" size={15} />}
        <span className="cell-strong" data-testid="inspect-system">
          {systemLine(h, formatBytes)}
        </span>
        {h.kernel ? <span className="muted small">kernel {h.kernel}</span> : null}
      </div>
      <dl className="info-list inspect-facts">
        <dt>bootc</dt>
        <dd data-testid="inspect-bootc">{h.bootcVersion ?? <span className="muted">not installed</span>}</dd>
        <dt>podman</dt>
        <dd data-testid="inspect-podman">{h.podmanVersion ?? <span className="muted">not installed</span>}</dd>
        <dt>Privileges</dt>
        <dd className={h.privileged === 'no' ? 'bad-text' : undefined} data-testid="inspect-privileged">
          {privilegeLabel[h.privileged]}
        </dd>
        <dt>Installs with</dt>
        <dd className={h.method === 'none' ? 'bad-text' : undefined}>{methodLabel[h.method]}</dd>
        <dt>Disks</dt>
        <dd className="inspect-wide">
          {plural(h.disks.length, 'disk')}, {usable} can take the install
        </dd>
        <dt>Host key</dt>
        <dd className="inspect-wide">
          {h.hostKey ? (
            <Fingerprint keyType={h.hostKey.keyType} fingerprint={h.hostKey.fingerprint} note="pinned for this address" testId="inspect-hostkey" />
          ) : (
            <span className="muted">not pinned</span>
          )}
        </dd>
      </dl>
      {h.problems.length ? (
        <ul className="plan-warnings" data-testid="inspect-problems">
          {h.problems.map((p) => (
            <li key={p} className="plan-blocker">
              <AlertIcon size={14} /> <span>{p}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {!current ? (
        <p className="note-warn flash-note" role="status">
          <InfoIcon size={14} /> The address or login changed since: inspect again.
        </p>
      ) : null}
    </div>
  );
}

/** One box: its address, its login (the bench's, or its own), Inspect, and what was found. */
function BoxCard({ box, index, onBrowse }: { box: BoxDraft; index: number; onBrowse: BrowseFile }): ReactElement {
  const shared = useProvision((s) => s.shared);
  const boxes = useProvision((s) => s.boxes);
  const inspection = useProvision((s) => s.inspections[box.id]);
  const updateBox = useProvision((s) => s.updateBox);
  const removeBox = useProvision((s) => s.removeBox);
  const inspectBox = useProvision((s) => s.inspectBox);
  const n = index + 1;
  const errors = boxFieldErrors(box, shared, boxes);
  // Errors show once something was typed (an empty new row is not an error yet).
  const shown = box.host.trim() ? errors : {};
  const target = targetOf(box, shared);
  const current = !!inspection && inspection.key === targetKey(target);
  const canInspect = Object.keys(errors).length === 0 && (box.own || Object.keys(loginErrors(shared)).length === 0) && inspection?.state !== 'busy';
  const address = addressOf(target);
  return (
    <li className="box-card" data-testid="box-card" data-index={n} aria-label={`Box ${n}`}>
      <div className="box-card-row">
        <span className="box-num" aria-hidden="true">
          {n}
        </span>
        <Field name={`box-${n}-host`} label={`Box ${n} address`} error={shown.host} className="box-host">
          {(p) => (
            <input
              {...p}
              type="text"
              className="mono"
              value={box.host}
              onChange={(e) => updateBox(box.id, { host: e.target.value })}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && canInspect) void inspectBox(box.id);
              }}
              placeholder="10.0.0.5 or box.lan"
              spellCheck={false}
              autoComplete="off"
            />
          )}
        </Field>
        <Field name={`box-${n}-port`} label="Port" error={shown.port} className="box-port">
          {(p) => <input {...p} type="text" inputMode="numeric" value={box.port} onChange={(e) => updateBox(box.id, { port: e.target.value })} />}
        </Field>
        <label className="check box-own">
          <input type="checkbox" checked={box.own} onChange={(e) => updateBox(box.id, { own: e.target.checked, login: e.target.checked && !box.own ? { ...shared } : box.login })} data-testid={`box-${n}-own`} />
          <span>Own login</span>
        </label>
        <div className="box-actions">
          <button type="button" className="button" onClick={() => void inspectBox(box.id)} disabled={!canInspect} data-testid={`box-${n}-inspect`}>
            {inspection?.state === 'busy' ? 'Inspecting…' : inspection ? 'Inspect again' : 'Inspect'}
          </button>
          {boxes.length > 1 ? (
            <button type="button" className="icon-button" onClick={() => removeBox(box.id)} aria-label={`Remove box ${n}`} title="Remove this box">
              <CloseIcon size={15} />
            </button>
          ) : null}
        </div>
      </div>
      {box.own ? (
        <div className="box-own-login">
          <LoginFields prefix={`box-${n}`} login={box.login} onChange={(patch) => updateBox(box.id, { login: { ...box.login, ...patch } })} errors={box.host.trim() ? loginErrors(box.login) : {}} onBrowse={onBrowse} />
        </div>
      ) : null}
      {inspection ? <InspectResult boxId={box.id} inspection={inspection} current={current} address={address} /> : null}
    </li>
  );
}

/** Step 1: the boxes, the bench's login, Inspect. */
export function BoxesStep({ onBrowse }: { onBrowse: BrowseFile }): ReactElement {
  const shared = useProvision((s) => s.shared);
  const setShared = useProvision((s) => s.setShared);
  const boxes = useProvision((s) => s.boxes);
  const addBox = useProvision((s) => s.addBox);
  const inspectAll = useProvision((s) => s.inspectAll);
  const busy = useProvision((s) => Object.values(s.inspections).some((i) => i.state === 'busy'));
  const usesShared = boxes.some((b) => !b.own);
  const sharedErrors = usesShared && boxes.some((b) => b.host.trim()) ? loginErrors(shared) : {};
  return (
    <section className="panel flash-step" aria-labelledby="provision-step-boxes" data-testid="provision-boxes">
      <StepTitle n={1} id="provision-step-boxes">
        Boxes
      </StepTitle>
      <p className="muted small flash-step-hint">
        Boot each box from live media that has podman or bootc (a Fedora or CentOS Stream live image, Fedora CoreOS), then give its address. Inspecting only reads: nothing is written.
      </p>
      {usesShared ? (
        <fieldset className="provision-shared">
          <legend className="subhead">Login to the live systems (shared by the boxes on this bench)</legend>
          <LoginFields prefix="shared" login={shared} onChange={setShared} errors={sharedErrors} onBrowse={onBrowse} />
        </fieldset>
      ) : null}
      <ol className="box-list" aria-label="Boxes">
        {boxes.map((b, i) => (
          <BoxCard key={b.id} box={b} index={i} onBrowse={onBrowse} />
        ))}
      </ol>
      <div className="provision-step-tools">
        <button type="button" className="button" onClick={addBox} data-testid="provision-add-box">
          <PlusIcon size={15} /> Add box
        </button>
        {boxes.length > 1 ? (
          <button type="button" className="button button-primary" onClick={() => void inspectAll()} disabled={busy} data-testid="provision-inspect-all">
            {busy ? 'Inspecting…' : `Inspect all ${boxes.length}`}
          </button>
        ) : null}
      </div>
    </section>
  );
}

/** What a disk's row says: why it cannot be used, or what choosing it means. */
function DiskNotes({ disk: d }: { disk: ProvisionHost['disks'][number] }): ReactElement {
  if (d.problems.length) {
    return (
      <span className="drive-notes">
        {d.problems.map((p) => (
          <span key={p.code} className="drive-problem" data-testid="disk-problem" data-code={p.code}>
            <AlertIcon size={13} /> Cannot take the install: it {p.message}
          </span>
        ))}
      </span>
    );
  }
  if (d.needsTypedConfirmation) {
    return (
      <span className="warn-text" data-testid="disk-needs-confirm">
        Holds data: installing erases it (you will tick Wipe and type “{d.name}”)
      </span>
    );
  }
  return <span className="muted">Empty</span>;
}

/** A box's disks, one to choose; a disk with data needs Wipe and its name typed. */
function BoxDisks({ box, index, host }: { box: BoxDraft; index: number; host: ProvisionHost }): ReactElement {
  const chooseDisk = useProvision((s) => s.chooseDisk);
  const updateBox = useProvision((s) => s.updateBox);
  const shared = useProvision((s) => s.shared);
  const n = index + 1;
  const chosen = chosenDisk(box, host);
  const group = `box-${n}-disk`;
  const typedOk = !!chosen && box.confirm.trim() === chosen.name;
  return (
    <section className="box-disks" data-testid="box-disks" data-index={n} aria-labelledby={`${group}-title`}>
      <h3 className="box-disks-title" id={`${group}-title`}>
        <span className="box-num" aria-hidden="true">
          {n}
        </span>
        <span className="mono">{addressOf(targetOf(box, shared))}</span>
        <span className="muted small">{systemLine(host, formatBytes)}</span>
      </h3>
      {host.disks.length === 0 ? (
        <p className="form-error" role="alert">
          <AlertIcon /> <span>No disk was found on this box.</span>
        </p>
      ) : (
        <div className="simple-table-wrap">
          <table className="simple-table drives-table disks-table" aria-label={`Disks of box ${n}`}>
            <thead>
              <tr>
                <th scope="col" className="check-cell">
                  <span className="sr-only">Install here</span>
                </th>
                <th scope="col">Disk</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col">Holds now</th>
                <th scope="col">Notes</th>
              </tr>
            </thead>
            <tbody>
              {host.disks.map((d) => {
                const disabled = d.problems.length > 0;
                const id = `${group}-${d.name}`;
                const mounts = driveMounts(d);
                const holds = diskContents(d);
                return (
                  <tr
                    key={d.path}
                    className={`drive-row${disabled ? ' disabled' : ''}${box.disk === d.path ? ' selected' : ''}`}
                    data-testid="disk-row"
                    data-path={d.path}
                    data-disabled={disabled || undefined}
                    data-needs-confirm={d.needsTypedConfirmation || undefined}
                    onClick={() => !disabled && chooseDisk(box.id, d.path)}
                  >
                    <td className="check-cell">
                      <input
                        id={id}
                        type="radio"
                        name={group}
                        checked={box.disk === d.path}
                        disabled={disabled}
                        onChange={() => chooseDisk(box.id, d.path)}
                        aria-describedby={`${id}-notes`}
                        data-testid="disk-choose"
                      />
                    </td>
                    <td className="drive-cell">
                      <label htmlFor={id} className="drive-name">
                        <span className="disk-name mono">{d.name}</span> <span className="muted mono">{d.path}</span>
                      </label>
                      <span className="cell-sub muted small">
                        {[d.model, d.serial ? `serial ${d.serial}` : null, d.bus].filter(Boolean).join(' · ') || 'no model or serial reported'}
                      </span>
                    </td>
                    <td className="num nowrap disk-size">{formatDecimalBytes(d.size)}</td>
                    <td className="disk-holds">
                      {holds ? <span className="mono small">{holds}</span> : <span className="muted nowrap">nothing found</span>}
                      {mounts.length ? <span className="cell-sub small warn-text">mounted at {mounts.join(', ')}</span> : null}
                    </td>
                    <td id={`${id}-notes`}>
                      <DiskNotes disk={d} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {chosen?.needsTypedConfirmation ? (
        <div className="disk-confirm" data-testid="disk-confirm-panel" data-ok={(box.wipe && typedOk) || undefined}>
          <p className="disk-confirm-text">
            <AlertIcon size={15} />
            <span>
              <strong>{chosen.path}</strong> holds {diskContents(chosen) || 'data'}. Installing erases everything on it.
            </span>
          </p>
          <label className="check">
            <input type="checkbox" checked={box.wipe} onChange={(e) => updateBox(box.id, { wipe: e.target.checked })} data-testid="disk-wipe" />
            <span>
              Wipe <strong className="mono">{chosen.name}</strong>
            </span>
          </label>
          <div className="field confirm-type">
            <label htmlFor={`${group}-confirm`}>
              Type <code>{chosen.name}</code> to confirm
            </label>
            <input
              id={`${group}-confirm`}
              type="text"
              className="mono"
              value={box.confirm}
              onChange={(e) => updateBox(box.id, { confirm: e.target.value })}
              disabled={!box.wipe}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={box.confirm.trim() !== '' && !typedOk}
              data-testid="disk-confirm"
            />
          </div>
          {box.wipe && typedOk ? (
            <span className="disk-confirm-ok" role="status">
              <CheckIcon size={14} /> {chosen.name} will be erased and the image installed on it.
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}

/** Step 2: a disk on each box. */
export function DisksStep(): ReactElement {
  const boxes = useProvision((s) => s.boxes);
  const inspections = useProvision((s) => s.inspections);
  return (
    <section className="panel flash-step" aria-labelledby="provision-step-disks" data-testid="provision-disks">
      <StepTitle n={2} id="provision-step-disks">
        Disk on each box
      </StepTitle>
      <p className="muted small flash-step-hint">
        The image is installed on the whole disk. Disks the live system uses, read-only ones and empty slots cannot be chosen; a disk that holds data needs Wipe and its name
        typed.
      </p>
      <div className="box-disks-list">
        {boxes.map((b, i) => {
          const host = inspections[b.id]?.host;
          return host ? <BoxDisks key={b.id} box={b} index={i} host={host} /> : null;
        })}
      </div>
      <p className="muted small provision-disk-hint">
        <InfoIcon size={13} />
        <span>
          Names such as <code>sda</code> are the kernel’s: compare the model, serial and size with the disk’s label before choosing.
        </span>
      </p>
    </section>
  );
}

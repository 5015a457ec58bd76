/**
 * Actions on one device (device page): the Actions bar, the plan dialog shown before anything
 * runs (the device's staged / booted / rollback, the steps, the exact commands, warnings), the live
 * job panel (phase steps, streaming output, Cancel, the verified result) and the recent jobs.
 */
import { useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';
import { DEVICE_ARCHIVES, DEVICE_LAYOUT, type ActionInput, type ActionKind, type ActionPlan, type BootcStatus, type DeviceDetail, type Job, type JobDevice, type LibraryImage } from '../../../shared/contract';
import { ViaLibraryBadge } from '../components/booted-image';
import { EnforceSignaturesCheck } from '../components/enforce-signatures';
import { ByteProgress } from '../components/byte-progress';
import { Dialog } from '../components/dialog';
import { LogView } from '../components/log-view';
import { AlertIcon, CheckIcon, CloseIcon, InfoIcon, RefreshIcon } from '../components/icons';
import { RelativeTime, ShortDigest } from '../components/status';
import { requiresSigned } from '../lib/desired';
import { describeError } from '../lib/error-text';
import { formatBytes, shortDigest } from '../lib/format';
import { actionTitle, actionVerb, imageWithTransport, jobStateLabel, phaseLabel, TRANSPORTS, type Transport } from '../lib/jobs';
import { imageLabel, imageRef } from '../lib/library';
import { choiceFor, defaultSendChoice, followedName, libraryFormatOf, parseRate, sendFields, sendText, type LibraryFormat, type SendChoice } from '../lib/via-library';
import { LibraryImageSelect } from '../components/library-image-select';
import { LibrarySendFields, SourceChoice } from '../components/send-options';
import { useDesired } from '../stores/desired';
import { useJobs } from '../stores/jobs';
import { useLibrary } from '../stores/library';
import { useUi } from '../stores/ui';

/** What a button asks for. */
interface Request {
  action: ActionKind;
  image?: string;
  transport?: Transport;
  /** switch: the device pulls the image (default), or Bootfleet sends it from the image library. */
  via?: 'device' | 'library';
  /** via library: the most bytes per second sent. */
  maxBytesPerSecond?: number;
  /** How the library image is called, for the plan's title. */
  imageLabel?: string;
  /** switch: `bootc switch --enforce-container-sigpolicy`. */
  enforceSignatures?: boolean;
}

/** A switch or upgrade whose image is sent from the library (a job's params, as recorded). */
const fromLibrary = (job: Job): boolean => (job.action === 'switch' || job.action === 'upgrade') && job.params.via === 'library';

/** Actions that may also reboot into the result. */
const canApply = (a: ActionKind): boolean => a === 'upgrade' || a === 'switch' || a === 'rollback';

/** The phases a job goes through, in order, for its action. */
function phasesOf(job: Job, dev: JobDevice): string[] {
  const reboots = job.action === 'apply' || (canApply(job.action) && job.params.apply === true);
  const act = job.action === 'check' ? ['checking'] : job.action === 'rollback' ? ['rolling-back'] : job.action === 'apply' ? [] : fromLibrary(job) ? ['transferring', 'staging'] : ['staging'];
  if (job.action === 'apply' && dev.phase === 'staging') act.push('staging');
  const list = ['contacting', ...act, ...(reboots ? ['rebooting', 'waiting', 'verifying'] : []), 'finished'];
  if (!list.includes(dev.phase) && dev.phase !== 'queued') list.splice(1, 0, dev.phase);
  return list;
}

/** Phases where Cancel still stops the device before it reboots. */
const cancellable = new Set(['queued', 'contacting', 'checking', 'transferring', 'pulling', 'staging', 'rolling-back']);

/** The Actions bar; which buttons show follows the device's last known status. */
export function ActionsBar({ detail }: { detail: DeviceDetail }): ReactElement {
  const [request, setRequest] = useState<Request | null>(null);
  const [switchOpen, setSwitchOpen] = useState(false);
  const status: BootcStatus | null = detail.status;
  const shownId = useJobs((s) => s.shown[detail.device.id]);
  const busy = useJobs((s) => (shownId ? s.jobs[shownId]?.state === 'running' : false));
  const bootc = !!status?.bootcHost;
  const disabled = busy || !bootc;
  const title = busy ? 'An action is running on this device' : !bootc ? 'Refresh the device first: its bootc status is not known' : undefined;
  return (
    <section className="actions-bar" aria-label="Actions" data-testid="actions-bar">
      <h2 className="actions-bar-title">Actions</h2>
      <div className="actions-bar-buttons">
        <button type="button" className="button" disabled={disabled} title={title} onClick={() => setRequest({ action: 'check' })} data-testid="action-check">
          Check for update
        </button>
        <button type="button" className="button" disabled={disabled} title={title} onClick={() => setRequest({ action: 'upgrade' })} data-testid="action-upgrade">
          Stage update
        </button>
        {status?.staged ? (
          <button type="button" className="button" disabled={disabled} title={title} onClick={() => setRequest({ action: 'apply' })} data-testid="action-apply">
            Apply staged
          </button>
        ) : null}
        {status?.rollback ? (
          <button type="button" className="button" disabled={disabled} title={title} onClick={() => setRequest({ action: 'rollback' })} data-testid="action-rollback">
            Roll back
          </button>
        ) : null}
        <button type="button" className="button" disabled={disabled} title={title} onClick={() => setSwitchOpen(true)} data-testid="action-switch">
          Switch image…
        </button>
      </div>
      {switchOpen ? (
        <SwitchDialog
          initial={status?.specImage ?? null}
          architecture={status?.booted?.image?.architecture ?? null}
          onClose={() => setSwitchOpen(false)}
          onPlan={(req) => {
            setSwitchOpen(false);
            setRequest({ action: 'switch', ...req });
          }}
        />
      ) : null}
      {request ? <PlanDialog detail={detail} request={request} onClose={() => setRequest(null)} /> : null}
    </section>
  );
}

/** Where a library image goes on the device, in its form. */
function LibraryDestination({ format, architecture }: { format: LibraryFormat; architecture: string | null }): ReactElement {
  const its = architecture ? <> (its {architecture} image)</> : null;
  return format === 'oci' ? (
    <span>
      Sent to <code>{DEVICE_LAYOUT}</code> on the device{its}; blobs it already has (a shared base layer) are not sent again.
    </span>
  ) : (
    <span>
      Sent whole as one file to <code>{DEVICE_ARCHIVES}</code> on the device{its}.
    </span>
  );
}

/**
 * "Switch image…": where the image comes from, then which. The device pulls it (a registry, or
 * another transport it can read), or Bootfleet sends a library image over SSH into the device's
 * own OCI layout (only the blobs it lacks) or as one oci-archive file, for devices that reach no
 * registry, at most at the rate given.
 */
function SwitchDialog({
  initial,
  architecture,
  onClose,
  onPlan,
}: {
  initial: { image: string; transport: string } | null;
  /** The device's architecture as its status tells it (null before bootc 1.1.7). */
  architecture: string | null;
  onClose(): void;
  onPlan(req: Pick<Request, 'image' | 'transport' | 'via' | 'imageLabel' | 'maxBytesPerSecond' | 'enforceSignatures'>): void;
}): ReactElement {
  // A device that follows a library path is offered the library first, in the same form.
  const [send, setSend] = useState<SendChoice>(() => choiceFor(initial));
  const via = send.via;
  const [image, setImage] = useState(() => (choiceFor(initial).via === 'library' ? '' : (initial?.image ?? '')));
  const [transport, setTransport] = useState<Transport>(() =>
    choiceFor(initial).via === 'device' && TRANSPORTS.includes(initial?.transport as Transport) ? (initial!.transport as Transport) : 'registry',
  );
  const [libraryId, setLibraryId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const images = useLibrary((s) => s.images);
  const libraryError = useLibrary((s) => s.loadError);
  const loadLibrary = useLibrary((s) => s.load);
  const navigate = useUi((s) => s.navigate);
  const desired = useDesired((s) => s.entries);
  const loadDesired = useDesired((s) => s.load);
  // Ticked or unticked by hand; until then it follows whether a desired entry requires the image signed.
  const [enforce, setEnforce] = useState<boolean | null>(null);
  useEffect(() => {
    if (via === 'library') void loadLibrary();
  }, [via, loadLibrary]);
  useEffect(() => {
    if (desired === null) void loadDesired();
  }, [desired, loadDesired]);
  const all = images ?? [];
  const fits = (img: LibraryImage): boolean => !architecture || img.architectures.includes(architecture);
  // The first image that fits is offered; the one the device runs now is not a useful default.
  const chosen = all.find((i) => i.id === libraryId) ?? all.find(fits) ?? null;
  const signedDesired = requiresSigned(desired, via === 'library' ? (chosen ? imageRef(chosen, all) : '') : image);
  const enforceSignatures = enforce ?? signedDesired;
  const rateError = parseRate(send.rate).error;
  const setVia = (v: SendChoice['via']): void => {
    setSend((c) => ({ ...c, via: v }));
    setError(null);
  };
  const submit = (): void => {
    if (via === 'library') {
      if (!chosen) return setError(all.length ? 'Choose the library image to boot' : 'The image library is empty');
      if (!fits(chosen)) return setError(`${imageLabel(chosen)} has no ${architecture} image`);
      if (rateError) return;
      const fields = sendFields(send);
      return onPlan({ image: imageRef(chosen, all), ...fields, imageLabel: imageLabel(chosen), enforceSignatures });
    }
    if (!image.trim()) return setError('Enter the image to boot');
    onPlan({ image: image.trim(), transport, via: 'device', enforceSignatures });
  };
  return (
    <Dialog
      title="Switch image"
      onClose={onClose}
      width="normal"
      formTestId="switch-form"
      description="Boot another image next: it is staged, and the plan is shown before anything runs."
      onSubmit={submit}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="switch-plan">
            Show plan
          </button>
        </>
      }
    >
      <SourceChoice
        via={via}
        onChange={setVia}
        testPrefix="switch"
        deviceTitle="The device pulls it (registry)"
        deviceHint="bootc on the device fetches the image itself: it must reach the registry (or the path, for another transport)."
        libraryHint="Bootfleet sends the image to the device, then bootc switches to it. No registry needed."
      />
      {via === 'device' ? (
        <div className="form-grid switch-fields">
          <div className="field span-3">
            <label htmlFor="f-switch-image">Image reference</label>
            <input
              id="f-switch-image"
              type="text"
              value={image}
              onChange={(e) => {
                setImage(e.target.value);
                setError(null);
              }}
              placeholder="quay.io/example/os:42"
              spellCheck={false}
              data-autofocus
              aria-invalid={!!error}
              data-testid="field-switch-image"
            />
            {error ? (
              <div className="field-error" role="alert" data-testid="error-switch-image">
                {error}
              </div>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="f-switch-transport">Transport</label>
            <select id="f-switch-transport" value={transport} onChange={(e) => setTransport(e.target.value as Transport)} data-testid="field-switch-transport">
              {TRANSPORTS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
        </div>
      ) : (
        <>
          <div className="field switch-fields">
            <label htmlFor="f-switch-library">Library image</label>
            <LibraryImageSelect
              id="f-switch-library"
              testId="field-switch-library"
              emptyTestId="switch-library-empty"
              images={images}
              loadError={libraryError}
              chosen={chosen}
              onChoose={(id) => {
                setLibraryId(id);
                setError(null);
              }}
              fits={fits}
              unfitNote={`no ${architecture}`}
              invalid={!!error}
              onOpenImages={() => {
                onClose();
                navigate('images');
              }}
            />
            {chosen ? (
              <div className="field-hint switch-library-hint" data-testid="switch-library-hint">
                <span>
                  {chosen.architectures.join(', ') || 'no platform'} · {formatBytes(chosen.size)} · digest <span className="mono">{shortDigest(chosen.digest)}</span>
                </span>
                <LibraryDestination format={send.format} architecture={architecture} />
              </div>
            ) : null}
            {error ? (
              <div className="field-error" role="alert" data-testid="error-switch-library">
                {error}
              </div>
            ) : null}
          </div>
          <LibrarySendFields
            format={send.format}
            onFormat={(format) => setSend((c) => ({ ...c, format }))}
            rate={send.rate}
            onRate={(rate) => setSend((c) => ({ ...c, rate }))}
            rateError={rateError}
            rateHint="Optional: the most Bootfleet sends per second. Empty: no limit."
            rateName="switch-rate"
            testPrefix="switch"
          />
        </>
      )}
      <EnforceSignaturesCheck checked={enforceSignatures} onChange={setEnforce} signedDesired={signedDesired} testPrefix="switch" className="switch-enforce" who="the device" />
    </Dialog>
  );
}

function PlanEntry({ label, digest, version, extra, testId }: { label: string; digest: string | null; version?: string | null; extra?: ReactNode; testId: string }): ReactElement {
  return (
    <>
      <dt>{label}</dt>
      <dd data-testid={testId}>
        {digest ? (
          <>
            <ShortDigest digest={digest} copy={false} />
            {version ? <span className="muted"> {version}</span> : null}
            {extra}
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </dd>
    </>
  );
}

/**
 * Where a Stage update comes from: the device pulls it, or Bootfleet sends the library's image of
 * the name the device follows (in its form on the device, at most at the rate given).
 */
function UpgradeSource({ send, onChange, rateError }: { send: SendChoice; onChange(c: SendChoice): void; rateError: string | null }): ReactElement {
  return (
    <section className="upgrade-source" aria-label="Where the update comes from">
      <SourceChoice
        via={send.via}
        onChange={(via) => onChange({ ...send, via })}
        testPrefix="upgrade"
        deviceTitle="The device pulls it (registry)"
        deviceHint="bootc upgrade on the device fetches the newest image it follows: it must reach the registry."
        libraryHint="Bootfleet sends the library’s image of the name the device follows, then bootc stages it. No registry needed."
      />
      {send.via === 'library' ? (
        <LibrarySendFields
          format={send.format}
          onFormat={(format) => onChange({ ...send, format })}
          rate={send.rate}
          onRate={(rate) => onChange({ ...send, rate })}
          rateError={rateError}
          rateHint="Optional: the most Bootfleet sends per second. Empty: no limit."
          rateName="upgrade-rate"
          testPrefix="upgrade"
        />
      ) : null}
    </section>
  );
}

/** The booted image of the plan, as the registry image it stands for when it came from the library. */
function PlanBootedImage({ image, digest, detail }: { image: string; digest: string; detail: DeviceDetail }): ReactElement {
  const s = detail.summary;
  const as = s.bootedAs && s.booted?.digest === digest ? s.bootedAs : null;
  if (!as) return <code className="plan-image">{image}</code>;
  return (
    <>
      <code className="plan-image" title={`On the device: ${image}`} data-testid="plan-booted-as">
        {as}
      </code>
      <ViaLibraryBadge onDevice={image} />
    </>
  );
}

/** "Stage the library’s image of NAME": what an upgrade from the library sends. */
function UpgradeTarget({ detail }: { detail: DeviceDetail }): ReactElement {
  const followed = followedName(detail.status?.specImage, detail.summary);
  return followed ? (
    <>
      Stage the library’s image of <code>{followed}</code>
    </>
  ) : (
    <>Stage the library’s image of the name it follows</>
  );
}

/** The plan of one action on the device, and the confirmation. */
function PlanDialog({ detail, request, onClose }: { detail: DeviceDetail; request: Request; onClose(): void }): ReactElement {
  const { action } = request;
  const name = detail.device.name;
  const [apply, setApply] = useState(false);
  const [confirmed, setConfirmed] = useState(false);
  // The plan (or why not) of the input it was read for: a changed input reads it again.
  const [result, setResult] = useState<{ key: string; plan: ActionPlan | null; error: string | null } | null>(null);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  // Stage update: where the update comes from (a device that follows a library path gets it from the library).
  const [send, setSend] = useState<SendChoice>(() => (action === 'upgrade' ? choiceFor(detail.status?.specImage) : defaultSendChoice));
  const planAction = useJobs((s) => s.plan);
  const start = useJobs((s) => s.start);

  const rateError = action === 'upgrade' && send.via === 'library' ? parseRate(send.rate).error : null;
  const input: ActionInput = {
    action,
    devices: [detail.device.id],
    apply: canApply(action) ? apply : false,
    ...(action === 'switch'
      ? request.via === 'library'
        ? { image: request.image, via: 'library' as const, transport: request.transport, ...(request.maxBytesPerSecond ? { maxBytesPerSecond: request.maxBytesPerSecond } : {}) }
        : { image: request.image, transport: request.transport }
      : {}),
    ...(action === 'switch' && request.enforceSignatures ? { enforceSignatures: true } : {}),
    ...(action === 'upgrade' ? sendFields(send) : {}),
  };
  const key = JSON.stringify(input);
  const planned = useRef(false);
  useEffect(() => {
    let live = true;
    // The first plan at once; a changed input (a rate being typed) once the typing pauses.
    const t = setTimeout(
      () =>
        planAction(JSON.parse(key) as ActionInput).then(
          (plans) => live && setResult({ key, plan: plans[0] ?? null, error: plans[0] ? null : 'The device was not planned.' }),
          (err: unknown) => live && setResult({ key, plan: null, error: describeError(err) }),
        ),
      planned.current ? 300 : 0,
    );
    planned.current = true;
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [key, planAction]);
  const current = result?.key === key ? result : null;
  const loadError = current?.error ?? null;
  // While a changed input is read again, the last plan stays in view (the confirm waits for the new one).
  const plan = current?.plan ?? null;
  const shownPlan = plan ?? (current ? null : (result?.plan ?? null));

  const reboots = action === 'apply' || (canApply(action) && apply);
  const needsConfirm = action === 'rollback' || reboots;
  const possible = plan?.possible ?? false;
  const confirmDisabled = !plan || !possible || starting || !!rateError || (needsConfirm && !confirmed);
  const reason = !plan
    ? null
    : !possible
      ? (plan.warnings[0] ?? 'This action cannot run on this device.')
      : rateError
        ? 'Correct the max rate first.'
        : needsConfirm && !confirmed
          ? 'Tick the confirmation first.'
          : null;
  const via = action === 'switch' || action === 'upgrade' ? (input.via ?? 'device') : 'device';
  const sending = sendText(input, false);

  const confirm = async (): Promise<void> => {
    setStarting(true);
    setStartError(null);
    try {
      await start(input);
      onClose();
    } catch (err) {
      setStartError(describeError(err));
      setStarting(false);
    }
  };

  const label = action === 'check' ? 'Check now' : reboots ? `${actionTitle[action]} and reboot` : actionTitle[action];
  return (
    <Dialog
      title={`${actionTitle[action]} · ${name}`}
      onClose={onClose}
      busy={starting}
      width="wide"
      footer={
        <>
          {reason ? (
            <span className="plan-reason" data-testid="plan-reason">
              {reason}
            </span>
          ) : null}
          <button type="button" className="button" onClick={onClose} disabled={starting} data-autofocus>
            Cancel
          </button>
          <button
            type="button"
            className={`button ${needsConfirm ? 'button-danger' : 'button-primary'}`}
            onClick={() => void confirm()}
            disabled={confirmDisabled}
            title={reason ?? undefined}
            data-testid="plan-confirm"
          >
            {starting ? 'Starting…' : label}
          </button>
        </>
      }
    >
      <div className="plan" data-testid="plan-dialog" data-state={loadError ? 'error' : plan ? 'ready' : 'loading'} data-possible={plan ? String(plan.possible) : undefined}>
        {action === 'upgrade' ? <UpgradeSource send={send} onChange={setSend} rateError={rateError} /> : null}
        {action === 'switch' || via === 'library' ? (
          <p className="plan-target" data-testid="plan-target" data-via={via}>
            {action === 'switch' ? (
              <>
                Switch to <code>{via === 'library' ? (request.imageLabel ?? request.image) : imageWithTransport(request.image ?? '', request.transport)}</code>
              </>
            ) : (
              <UpgradeTarget detail={detail} />
            )}
            {via === 'library' ? <span className="badge badge-staged plan-via">from the image library, over SSH</span> : null}
            {input.enforceSignatures ? (
              <span className="badge badge-ok plan-via" title="bootc switch --enforce-container-sigpolicy: the device refuses the image unless its signature policy verifies it" data-testid="plan-enforce-signatures">
                signature policy enforced
              </span>
            ) : null}
            {sending ? (
              <span className="muted small plan-send" data-testid="plan-send">
                {sending}
              </span>
            ) : null}
          </p>
        ) : null}
        {loadError ? (
          <div className="form-error" role="alert" data-testid="plan-error">
            <AlertIcon />
            <span>Could not read the device: {loadError}</span>
          </div>
        ) : !shownPlan ? (
          <p className="muted plan-loading">
            <RefreshIcon className="spin" size={14} /> Reading {name}’s bootc status…
          </p>
        ) : (
          <>
            <section className="plan-current" aria-label="Now on the device">
              <h3 className="subhead">Now on {shownPlan.name}</h3>
              <dl className="plan-slots">
                <PlanEntry
                  label="Staged"
                  testId="plan-staged"
                  digest={shownPlan.current.staged?.digest ?? null}
                  version={shownPlan.current.staged?.version}
                  extra={shownPlan.current.staged?.downloadOnly ? <span className="badge badge-warn">download only</span> : null}
                />
                <PlanEntry
                  label="Booted"
                  testId="plan-booted"
                  digest={shownPlan.current.booted?.digest ?? null}
                  version={shownPlan.current.booted?.version}
                  extra={shownPlan.current.booted?.image ? <PlanBootedImage image={shownPlan.current.booted.image} digest={shownPlan.current.booted.digest} detail={detail} /> : null}
                />
                <PlanEntry
                  label="Rollback"
                  testId="plan-rollback"
                  digest={shownPlan.current.rollback?.digest ?? null}
                  version={shownPlan.current.rollback?.version}
                  extra={shownPlan.current.rollbackQueued ? <span className="badge badge-warn">queued for next boot</span> : null}
                />
              </dl>
              {shownPlan.bootcVersion ? <p className="muted small">bootc {shownPlan.bootcVersion}</p> : null}
            </section>
            {shownPlan.warnings.length ? (
              <ul className="plan-warnings" data-testid="plan-warnings">
                {shownPlan.warnings.map((w) => (
                  <li key={w} className={shownPlan.possible ? 'note-warn' : 'plan-blocker'}>
                    <AlertIcon size={14} /> <span>{w}</span>
                  </li>
                ))}
              </ul>
            ) : null}
            <h3 className="subhead">Steps</h3>
            <ol className="plan-steps" data-testid="plan-steps">
              {shownPlan.steps.map((s, i) => (
                <li key={i}>{s}</li>
              ))}
            </ol>
            <h3 className="subhead">Commands</h3>
            <pre className="plan-commands" data-testid="plan-commands">
              {shownPlan.commands.length ? shownPlan.commands.join('\n') : '(none)'}
            </pre>
          </>
        )}
        {canApply(action) ? (
          <label className="check plan-check">
            <input type="checkbox" checked={apply} onChange={(e) => setApply(e.target.checked)} disabled={starting} data-testid="plan-apply" />
            <span>
              and reboot now (apply): <span className="muted">wait for {name} to return and verify what it booted</span>
            </span>
          </label>
        ) : null}
        {needsConfirm ? (
          <label className="check plan-check plan-confirm-check">
            <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} disabled={starting || !possible} data-testid="plan-confirm-check" />
            <span>
              {reboots ? (
                <>
                  Yes, reboot <strong>{name}</strong> now
                  {action === 'rollback' ? ' into its rollback deployment' : action === 'apply' ? ' into the staged update' : ''}
                </>
              ) : (
                <>
                  Yes, queue the rollback on <strong>{name}</strong> (it runs at the next boot)
                </>
              )}
            </span>
          </label>
        ) : null}
        {startError ? (
          <div className="form-error" role="alert" data-testid="plan-start-error">
            <AlertIcon />
            <span>{startError}</span>
          </div>
        ) : null}
      </div>
    </Dialog>
  );
}

/** The phases as steps: done, current, to come. */
function PhaseSteps({ job, dev }: { job: Job; dev: JobDevice }): ReactElement {
  const phases = phasesOf(job, dev);
  const at = dev.phase === 'queued' ? -1 : phases.indexOf(dev.phase);
  const failed = dev.state === 'failed' || dev.state === 'canceled' || dev.state === 'interrupted';
  return (
    <ol className="phase-steps" data-testid="job-phases" data-phase={dev.phase}>
      {phases.map((p, i) => {
        const cls = i < at || (i === at && p === 'finished' && !failed) ? 'done' : i === at ? (failed ? 'failed' : 'current') : 'todo';
        return (
          <li key={p} className={`phase phase-${cls}`} data-phase={p} aria-current={i === at ? 'step' : undefined}>
            <span className="phase-dot" aria-hidden="true">
              {cls === 'done' ? <CheckIcon size={11} /> : cls === 'failed' ? <CloseIcon size={11} /> : null}
            </span>
            <span className="phase-label">{phaseLabel[p] ?? p}</span>
          </li>
        );
      })}
    </ol>
  );
}

function JobResult({ dev }: { dev: JobDevice }): ReactElement | null {
  if (dev.state === 'done') {
    return (
      <div className="job-result job-result-ok" role="status" data-testid="job-result" data-state="done">
        <CheckIcon />
        <span>{dev.outcome ?? 'Done'}</span>
      </div>
    );
  }
  if (dev.state === 'failed' || dev.state === 'interrupted') {
    return (
      <div className="job-result job-result-bad" role="alert" data-testid="job-result" data-state={dev.state}>
        <AlertIcon />
        <span>
          <strong>{dev.state === 'interrupted' ? 'Interrupted' : 'Failed'}</strong>
          {dev.outcome ? <span className="muted"> ({dev.outcome})</span> : null}: {dev.error?.message ?? 'no details'}{' '}
          {dev.error ? <code className="error-code">{dev.error.code}</code> : null}
        </span>
      </div>
    );
  }
  if (dev.state === 'canceled') {
    return (
      <div className="job-result" role="status" data-testid="job-result" data-state="canceled">
        <InfoIcon />
        <span>Cancelled{dev.outcome ? `: ${dev.outcome}` : ''}</span>
      </div>
    );
  }
  return null;
}

/**
 * Sending a library image to the device: its bytes on the device (the blobs it already had count
 * from the start), speed and time left while it runs; the size sent over after.
 */
function Transfer({ job, dev }: { job: Job; dev: JobDevice }): ReactElement | null {
  if (!fromLibrary(job)) return null;
  const t = dev.transfer;
  const archive = libraryFormatOf(job.params.transport as string | undefined) === 'oci-archive';
  if (dev.phase === 'transferring' && dev.state === 'running') {
    return (
      <ByteProgress
        progress={t}
        verb="on the device"
        label={`Sending ${typeof job.params.image === 'string' ? job.params.image : 'the update'} to ${dev.name}`}
        busyText={archive ? 'Preparing the archive…' : 'Asking the device which blobs it already has…'}
        testId="job-transfer"
      />
    );
  }
  if (!t) return null;
  const complete = t.total > 0 && t.done >= t.total;
  return (
    <p className="muted small job-transfer-done" data-testid="job-transfer" data-done={complete || undefined}>
      {complete ? (
        <>
          <CheckIcon size={12} />{' '}
          {archive ? `The image (${formatBytes(t.total)}) is on the device as one oci-archive file.` : `The image (${formatBytes(t.total)}) is in the device’s layout: only the blobs it lacked were sent.`}
        </>
      ) : (
        <>
          Sending stopped at {formatBytes(t.done)} of {formatBytes(t.total)}; what arrived stays on the device and a new try continues from there.
        </>
      )}
    </p>
  );
}

/** The job shown for this device: phase, output, Cancel, result. */
export function JobPanel({ deviceId }: { deviceId: string }): ReactElement | null {
  const jobId = useJobs((s) => s.shown[deviceId]);
  const job = useJobs((s) => (jobId ? s.jobs[jobId] : undefined));
  const log = useJobs((s) => (jobId ? (s.logs[jobId]?.[deviceId] ?? '') : ''));
  const cancel = useJobs((s) => s.cancel);
  const dismiss = useJobs((s) => s.dismiss);
  const [cancelledId, setCancelledId] = useState<string | null>(null);
  if (!job) return null;
  const dev = job.devices.find((d) => d.deviceId === deviceId);
  if (!dev) return null;
  const running = job.state === 'running' && (dev.state === 'running' || dev.state === 'pending');
  const applied = job.action === 'apply' || job.params.apply === true;
  return (
    <section className={`job-panel job-${dev.state}`} data-testid="job-panel" data-state={dev.state} data-job={job.id} aria-label="Action">
      <header className="job-head">
        <h2>
          {running ? <RefreshIcon className="spin" size={15} /> : dev.state === 'done' ? <CheckIcon size={15} /> : <AlertIcon size={15} />}
          {actionTitle[job.action]}
          {applied && job.action !== 'apply' ? ' and apply' : ''}
          <span className="muted job-when">
            started <RelativeTime iso={job.createdAt} /> by {job.actor}
          </span>
        </h2>
        <div className="job-head-actions">
          {running && job.kind === 'rollout' ? (
            <span className="muted small" title="This job is a batch of a rollout: pause or cancel the rollout instead" data-testid="job-in-rollout">
              part of a rollout
            </span>
          ) : running && cancellable.has(dev.phase) ? (
            <button
              type="button"
              className="button small"
              disabled={cancelledId === job.id}
              onClick={() => {
                setCancelledId(job.id);
                void cancel(job.id);
              }}
              data-testid="job-cancel"
            >
              {cancelledId === job.id ? 'Cancelling…' : 'Cancel'}
            </button>
          ) : running ? (
            <span className="muted small" title="Once the reboot is sent, Bootfleet waits for the device and verifies what it booted">
              rebooting: cannot be cancelled
            </span>
          ) : (
            <button type="button" className="icon-button small" aria-label="Dismiss" title="Dismiss" onClick={() => dismiss(deviceId)} data-testid="job-dismiss">
              <CloseIcon size={14} />
            </button>
          )}
        </div>
      </header>
      <PhaseSteps job={job} dev={dev} />
      <Transfer job={job} dev={dev} />
      {dev.fromDigest || dev.expectedDigest ? (
        <p className="job-digests small">
          {dev.fromDigest ? (
            <>
              from <span className="mono">{shortDigest(dev.fromDigest)}</span>
            </>
          ) : null}
          {dev.expectedDigest ? (
            <>
              {' '}
              → expecting <span className="mono" data-testid="job-expected">{shortDigest(dev.expectedDigest)}</span>
            </>
          ) : null}
          {dev.resultDigest && dev.state !== 'running' ? (
            <>
              {' '}
              · result <span className="mono" data-testid="job-result-digest">{shortDigest(dev.resultDigest)}</span>
            </>
          ) : null}
        </p>
      ) : null}
      <JobResult dev={dev} />
      <LogView text={log} />
    </section>
  );
}

/** The device's recent jobs; a click shows one (with its output) in the job panel. */
export function RecentJobs({ deviceId }: { deviceId: string }): ReactElement {
  const ids = useJobs((s) => s.recent);
  const jobs = useJobs((s) => s.jobs);
  const shown = useJobs((s) => s.shown[deviceId]);
  const show = useJobs((s) => s.show);
  return (
    <section className="panel" data-testid="recent-jobs">
      <h2 className="panel-title">Recent jobs</h2>
      {ids.length === 0 ? (
        <p className="muted">No actions yet. The Actions bar above checks, stages, applies, switches or rolls back this device.</p>
      ) : (
        <ul className="recent-jobs">
          {ids.map((id) => {
            const j = jobs[id];
            if (!j) return null;
            const d = j.devices.find((x) => x.deviceId === deviceId);
            const state = d?.state === 'pending' ? 'running' : (d?.state ?? j.state);
            return (
              <li key={id}>
                <button
                  type="button"
                  className={`recent-job${shown === id ? ' selected' : ''}`}
                  onClick={() => void show(deviceId, id)}
                  data-testid="recent-job"
                  data-state={state}
                  data-action={j.action}
                >
                  <span className={`job-state job-state-${state}`}>{jobStateLabel[state as Job['state']] ?? state}</span>
                  <span className="recent-job-what">
                    {actionVerb[j.action]}
                    {j.params.apply === true && j.action !== 'apply' ? ' + apply' : ''}
                  </span>
                  <span className="recent-job-outcome" title={d?.error?.message ?? d?.outcome ?? ''}>
                    {d?.error ? `${d.error.code}: ${d.error.message}` : (d?.outcome ?? j.summary ?? '')}
                  </span>
                  <span className="muted recent-job-when">
                    <RelativeTime iso={j.createdAt} />
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

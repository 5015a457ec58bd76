/**
 * The rollout wizard (a dialog in three steps):
 * 1. the devices (a filter, pre-filled from the Devices page or a desired image, or names) and
 *    the action (upgrade, switch to an image, roll back); for upgrade and switch, where the image
 *    comes from: the devices pull it, or Bootfleet sends it from the image library over SSH (a
 *    library image to switch to, its form on the device, a rate limit for all devices together);
 *    for a switch, Enforce signature policy (ticked for an image a desired entry requires signed);
 * 2. the policy (canary, batch size or percentage, parallel, failures allowed per batch, pause
 *    after the canary, apply or stage only, reboot wait), checked as typed with the contract's
 *    own schema; the core's refusals (VALIDATION_FAILED details.issues) land on their fields;
 * 3. the plan from `rollouts.plan` (batches with each device and its reach, warnings) and Start,
 *    which asks for an explicit confirmation when devices reboot or roll back.
 * Once started, the rollout's page opens.
 */
import { useEffect, useMemo, useState, type ReactElement, type ReactNode } from 'react';
import { ErrorCode, methods, type DeviceFilter, type LibraryImage, type Reach, type RolloutAction, type RolloutInput, type RolloutPlan } from '../../../shared/contract';
import { EnforceSignaturesCheck } from '../components/enforce-signatures';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { LibraryImageSelect } from '../components/library-image-select';
import { LibrarySendFields, SourceChoice } from '../components/send-options';
import { AlertIcon, CheckIcon, InfoIcon, RefreshIcon } from '../components/icons';
import { batchLabel } from '../components/rollout-status';
import { reachLabel } from '../components/status';
import { requiresSigned } from '../lib/desired';
import { asAppError, describeError } from '../lib/error-text';
import { filterWords } from '../lib/filters';
import { serverIssues } from '../lib/form';
import { formatBytes, plural, shortDigest, splitTags } from '../lib/format';
import { imageWithTransport, rolloutActionLabel, TRANSPORTS, type Transport } from '../lib/jobs';
import { imageLabel, imageRef } from '../lib/library';
import { defaultSendChoice, parseRate, sendFields, sendText, type SendChoice } from '../lib/via-library';
import { useDesired } from '../stores/desired';
import { filterInput, useDevices } from '../stores/devices';
import { useLibrary } from '../stores/library';
import { useRollouts } from '../stores/rollouts';
import { useSites } from '../stores/sites';
import { useUi, type RolloutPreset } from '../stores/ui';
import { DeviceFilterControls, type FilterValue } from './device-filter-controls';

const inputSchema = methods['rollouts.plan'].input;

type Step = 1 | 2 | 3;
const STEPS = ['Devices and action', 'Policy', 'Review and start'];

/** Which step shows each field: a refusal from the core goes back there. */
const stepOf: Record<string, Step> = {
  devices: 1,
  filter: 1,
  action: 1,
  image: 1,
  transport: 1,
  via: 1,
  maxBytesPerSecond: 1,
  enforceSignatures: 1,
  name: 1,
  canary: 2,
  batch: 2,
  maxParallel: 2,
  maxFailures: 2,
  pauseAfterCanary: 2,
  apply: 2,
  waitSeconds: 2,
};

/** Devices in each batch of the plan shown by name (the rest are counted). */
const PLAN_DEVICES_SHOWN = 24;
/** Batches of the plan shown (the rest are counted). */
const PLAN_BATCHES_SHOWN = 20;

const actions: { value: RolloutAction; hint: ReactNode }[] = [
  { value: 'upgrade', hint: 'Pull and stage the newest image each device follows (bootc upgrade)' },
  { value: 'switch', hint: 'Make each device follow another image (bootc switch)' },
  { value: 'rollback', hint: 'Return each device to its rollback deployment (bootc rollback)' },
];

/** The policy as typed (numbers as text, so a field can be empty while edited). */
interface PolicyForm {
  canary: string;
  batchBy: 'size' | 'percent';
  batchSize: string;
  batchPercent: string;
  maxParallel: string;
  maxFailures: string;
  pauseAfterCanary: boolean;
  apply: boolean;
  waitSeconds: string;
}

/** The contract's defaults (canary 1, 25% batches, 8 at once, the first failure halts, apply, 600 s). */
const defaultPolicy: PolicyForm = {
  canary: '1',
  batchBy: 'percent',
  batchSize: '10',
  batchPercent: '25',
  maxParallel: '8',
  maxFailures: '0',
  pauseAfterCanary: false,
  apply: true,
  waitSeconds: '600',
};

const numericFields = ['canary', 'batch', 'maxParallel', 'maxFailures', 'waitSeconds'] as const;

const emptyFilter: FilterValue = { search: '', site: null, tags: [], states: [], desired: [], staged: false, rollback: false, updateAvailable: false };

/** A preset's filter as the controls' value. */
function valueOf(f: DeviceFilter | undefined): FilterValue {
  if (!f) return emptyFilter;
  return {
    search: f.search ?? '',
    site: f.site ?? null,
    tags: f.tags ?? [],
    states: f.reach ?? [],
    desired: f.desired ?? [],
    staged: !!f.staged,
    rollback: !!f.rollback,
    updateAvailable: !!f.updateAvailable,
  };
}

const num = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));

/** The field an issue path belongs to: `policy.batchPercent` → `batch`, `filter.tags.0` → `filter`. */
function fieldOf(path: string[]): string {
  const [head, sub] = path;
  if (head === 'policy') return sub === 'batchSize' || sub === 'batchPercent' ? 'batch' : (sub ?? 'policy');
  return head || '_form';
}

/** "Too small: expected number to be >=1" → "Too small: at least 1"; other messages as the contract words them. */
function readable(message: string): string {
  return message
    .replace(/expected number to be >=(\S+)/, 'at least $1')
    .replace(/expected number to be <=(\S+)/, 'at most $1')
    .replace(/expected int, received number/, 'a whole number is needed');
}

/** A number field of the policy. */
function NumberField({
  name,
  label,
  value,
  onChange,
  error,
  hint,
  disabled,
  suffix,
}: {
  name: string;
  label: string;
  value: string;
  onChange(v: string): void;
  error: string | undefined;
  hint?: ReactNode;
  disabled?: boolean;
  suffix?: string;
}): ReactElement {
  return (
    <Field name={`rollout-${name}`} label={label} error={error} hint={hint}>
      {(p) => (
        <span className="number-input">
          <input {...p} type="number" inputMode="numeric" value={value} onChange={(e) => onChange(e.target.value)} disabled={disabled} />
          {suffix ? <span className="muted">{suffix}</span> : null}
        </span>
      )}
    </Field>
  );
}

/** Under the library image: its platforms, size and digest. */
function libraryHint(img: LibraryImage): string {
  return `${img.architectures.join(', ') || 'no platform'} · ${formatBytes(img.size)} · digest ${shortDigest(img.digest)}`;
}

/** A device of the plan: its reach at the last contact and what it booted. */
function PlanDevice({ d }: { d: RolloutPlan['batches'][number]['devices'][number] }): ReactElement {
  const reach = d.reach as Reach;
  return (
    <li className="plan-device" data-testid="plan-device" data-name={d.name} data-reach={d.reach} title={`${reachLabel[reach] ?? d.reach} at the last contact${d.booted ? `\nBooted ${d.booted}` : ''}`}>
      <span className={`reach-dot reach-${d.reach}`} aria-hidden="true" />
      <span className="plan-device-name">{d.name}</span>
      {d.bootedVersion || d.booted ? <span className="muted mono">{d.bootedVersion ?? shortDigest(d.booted!)}</span> : null}
      {reach !== 'online' ? <span className="plan-device-reach">{(reachLabel[reach] ?? d.reach).toLowerCase()}</span> : null}
    </li>
  );
}

/** The plan: what will run, the warnings, the batches. */
function PlanView({ plan, input, selection }: { plan: RolloutPlan; input: RolloutInput; selection: string }): ReactElement {
  const p = plan.policy;
  const hasCanary = plan.batches.some((b) => b.canary);
  const library = input.via === 'library';
  const what = plan.action === 'switch' && plan.image ? (
    <>
      Switch to <code>{library ? plan.image : imageWithTransport(plan.image, input.transport)}</code>
    </>
  ) : plan.action === 'rollback' ? (
    'Roll back to each device’s rollback deployment'
  ) : library ? (
    'Upgrade: each device gets the library’s image of the name it follows'
  ) : (
    'Upgrade: stage the newest image each device follows'
  );
  const sending = sendText(input, true);
  const more = plan.batches.length - PLAN_BATCHES_SHOWN;
  return (
    <>
      <dl className="plan-slots wizard-summary" data-testid="wizard-summary">
        <dt>Devices</dt>
        <dd>
          <strong>{plural(plan.total, 'device')}</strong> in {plural(plan.batches.length, 'batch', 'batches')}
          <span className="muted">{selection}</span>
        </dd>
        <dt>Action</dt>
        <dd>{what}</dd>
        {plan.action !== 'rollback' ? (
          <>
            <dt>Image from</dt>
            <dd data-testid="wizard-summary-source" data-via={input.via ?? 'device'}>
              {sending ? (
                <>
                  <span className="badge badge-staged">the image library, over SSH</span>
                  <span>{sending}</span>
                </>
              ) : plan.action === 'switch' ? (
                'The registry: each device pulls it'
              ) : (
                'The registry: each device pulls its update'
              )}
            </dd>
          </>
        ) : null}
        {input.enforceSignatures ? (
          <>
            <dt>Signatures</dt>
            <dd data-testid="wizard-summary-signatures">
              <span className="badge badge-ok">signature policy enforced</span>
              <span>
                each device runs <code>bootc switch --enforce-container-sigpolicy</code> and refuses the image unless its policy verifies it
              </span>
            </dd>
          </>
        ) : null}
        <dt>Then</dt>
        <dd>{p.apply ? `Reboot into it, wait up to ${p.waitSeconds} s for the device, verify what it booted` : 'Stage only: each device runs it at its next reboot'}</dd>
        <dt>Policy</dt>
        <dd>
          {p.canary ? `Canary of ${plural(p.canary, 'device')}${p.pauseAfterCanary ? ', then pause until resumed' : ''}; ` : 'No canary; '}
          batches of {p.batchSize}; {p.maxParallel} at once; {p.maxFailures ? `halts when a batch has more than ${plural(p.maxFailures, 'failure')}` : 'the first failure in a batch halts it'}
        </dd>
      </dl>
      {plan.warnings.length ? (
        <ul className="plan-warnings" data-testid="wizard-warnings">
          {plan.warnings.map((w) => (
            <li key={w} className="note-warn">
              <AlertIcon size={14} /> <span>{w}</span>
            </li>
          ))}
        </ul>
      ) : null}
      <h3 className="subhead">Batches</h3>
      <ol className="plan-batches" data-testid="wizard-batches">
        {plan.batches.slice(0, PLAN_BATCHES_SHOWN).map((b) => (
          <li key={b.index} className={`plan-batch${b.canary ? ' plan-batch-canary' : ''}`} data-testid="plan-batch" data-canary={b.canary || undefined}>
            <div className="plan-batch-head">
              <span className="batch-name">{batchLabel(b.index, b.canary, hasCanary)}</span>
              <span className="muted">{plural(b.devices.length, 'device')}</span>
              {b.canary && p.pauseAfterCanary ? <span className="badge badge-warn">then pause</span> : null}
            </div>
            <ul className="plan-devices">
              {b.devices.slice(0, PLAN_DEVICES_SHOWN).map((d) => (
                <PlanDevice key={d.deviceId} d={d} />
              ))}
              {b.devices.length > PLAN_DEVICES_SHOWN ? <li className="muted plan-device-more">and {plural(b.devices.length - PLAN_DEVICES_SHOWN, 'more device')}</li> : null}
            </ul>
          </li>
        ))}
        {more > 0 ? <li className="muted">and {plural(more, 'more batch', 'more batches')}</li> : null}
      </ol>
    </>
  );
}

export interface RolloutWizardProps {
  preset?: RolloutPreset | undefined;
  onClose(): void;
}

/** The New rollout dialog (`data-testid="rollout-wizard"`, `data-step`). */
export function RolloutWizard({ preset, onClose }: RolloutWizardProps): ReactElement {
  const sites = useSites((s) => s.sites);
  const loadSites = useSites((s) => s.load);
  const tags = useDevices((s) => s.tags);
  const loadTags = useDevices((s) => s.loadTags);
  const preview = useRollouts((s) => s.preview);
  const planRollout = useRollouts((s) => s.plan);
  const create = useRollouts((s) => s.create);
  const navigate = useUi((s) => s.navigate);
  const libraryImages = useLibrary((s) => s.images);
  const libraryError = useLibrary((s) => s.loadError);
  const loadLibrary = useLibrary((s) => s.load);
  const desired = useDesired((s) => s.entries);
  const loadDesired = useDesired((s) => s.load);

  const [step, setStep] = useState<Step>(1);
  const [mode, setMode] = useState<'filter' | 'names'>(preset?.devices ? 'names' : 'filter');
  const [filter, setFilter] = useState<FilterValue>(() => valueOf(preset?.filter));
  const [namesText, setNamesText] = useState((preset?.devices ?? []).join('\n'));
  const [action, setAction] = useState<RolloutAction>(preset?.action ?? 'upgrade');
  const [image, setImage] = useState(preset?.image ?? '');
  const [transport, setTransport] = useState<Transport>('registry');
  const [send, setSend] = useState<SendChoice>(defaultSendChoice);
  const [libraryId, setLibraryId] = useState('');
  // Ticked or unticked by hand; until then it follows whether a desired entry requires the image signed.
  const [enforce, setEnforce] = useState<boolean | null>(null);
  const [name, setName] = useState('');
  const [policy, setPolicy] = useState<PolicyForm>(defaultPolicy);
  const [shown, setShown] = useState<Record<number, boolean>>({});
  const [count, setCount] = useState<{ key: string; total: number; names: string[] } | null>(null);
  const [server, setServer] = useState<{ key: string; errors: Record<string, string> } | null>(null);
  const [planned, setPlanned] = useState<{ key: string; plan: RolloutPlan | null; error: string | null } | null>(null);
  const [confirmedKey, setConfirmedKey] = useState<string | null>(null);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);

  useEffect(() => {
    if (sites === null) void loadSites();
    if (tags === null) void loadTags();
  }, [sites, tags, loadSites, loadTags]);
  useEffect(() => {
    if (desired === null) void loadDesired();
  }, [desired, loadDesired]);

  // Sending from the library: for switch and upgrade only; a switch names one of its images.
  const library = action !== 'rollback' && send.via === 'library';
  useEffect(() => {
    if (library && action === 'switch') void loadLibrary();
  }, [library, action, loadLibrary]);
  const chosen = libraryImages?.find((i) => i.id === libraryId) ?? libraryImages?.[0] ?? null;
  const libraryImage = library && action === 'switch' && chosen && libraryImages ? imageRef(chosen, libraryImages) : '';
  const signedDesired = action === 'switch' && requiresSigned(desired, library ? libraryImage : image);
  const enforceSignatures = action === 'switch' && (enforce ?? signedDesired);

  const names = useMemo(() => splitTags(namesText), [namesText]);
  const deviceFilter = useMemo(() => filterInput(filter), [filter]);
  const filterKey = JSON.stringify(deviceFilter);

  // How many devices the filter selects, as it changes.
  useEffect(() => {
    if (mode !== 'filter') return;
    let live = true;
    const t = setTimeout(() => {
      preview(JSON.parse(filterKey) as DeviceFilter).then(
        (r) => live && setCount({ key: filterKey, ...r }),
        () => undefined,
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [mode, filterKey, preview]);

  const canary = num(policy.canary);
  const input = useMemo<RolloutInput>(
    () => ({
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(mode === 'names' ? { devices: names } : { filter: deviceFilter }),
      action,
      ...(action === 'switch' ? (library ? { image: libraryImage } : { image: image.trim(), transport }) : {}),
      ...(library ? sendFields(send) : {}),
      ...(enforceSignatures ? { enforceSignatures: true } : {}),
      policy: {
        canary,
        ...(policy.batchBy === 'size' ? { batchSize: num(policy.batchSize) } : { batchPercent: num(policy.batchPercent) }),
        maxParallel: num(policy.maxParallel),
        maxFailures: num(policy.maxFailures),
        pauseAfterCanary: canary > 0 && policy.pauseAfterCanary,
        apply: policy.apply,
        // Stage only waits for no reboot: a value left in the hidden field does not count.
        waitSeconds: policy.apply ? num(policy.waitSeconds) : Number(defaultPolicy.waitSeconds),
      },
    }),
    [name, mode, names, deviceFilter, action, image, transport, library, libraryImage, send, enforceSignatures, policy, canary],
  );
  const key = JSON.stringify(input);

  const rateText = send.rate;
  // The contract's own checks, as typed.
  const errors = useMemo<Record<string, string>>(() => {
    const out: Record<string, string> = {};
    const r = inputSchema.safeParse(input);
    if (!r.success) {
      for (const issue of r.error.issues) {
        const k = fieldOf(issue.path.map(String));
        if (out[k] === undefined) out[k] = readable(issue.message);
      }
    }
    const raw: Record<(typeof numericFields)[number], string> = {
      canary: policy.canary,
      batch: policy.batchBy === 'size' ? policy.batchSize : policy.batchPercent,
      maxParallel: policy.maxParallel,
      maxFailures: policy.maxFailures,
      waitSeconds: policy.waitSeconds,
    };
    for (const f of numericFields) if (out[f] !== undefined && raw[f].trim() === '') out[f] = 'Enter a number';
    if (library && action === 'switch' && !libraryImage) out.image = libraryImages?.length === 0 ? 'The image library is empty' : 'Choose the library image to boot';
    else if (out.image !== undefined && !image.trim()) out.image = 'Enter the image to boot';
    const rateError = library ? parseRate(rateText).error : null;
    if (rateError) out.maxBytesPerSecond = rateError;
    if (mode === 'names' && names.length === 0) out.devices = 'Name at least one device';
    if (mode === 'filter' && count?.key === filterKey && count.total === 0) out.filter = 'No device matches this filter';
    return out;
  }, [input, policy, image, mode, names, count, filterKey, library, action, libraryImage, libraryImages, rateText]);

  const serverErrors = server?.key === key ? server.errors : {};
  const errorFor = (k: string): string | undefined =>
    serverErrors[k] ?? (shown[stepOf[k] ?? 1] || k === 'maxBytesPerSecond' || (numericFields as readonly string[]).includes(k) ? errors[k] : undefined);
  /** Problems no field shows (the contract may add checks): listed above the step, and they hold every step. */
  const unplaced = Object.entries({ ...errors, ...serverErrors }).filter(([k]) => stepOf[k] === undefined);
  const stepErrors = (s: Step): string[] => Object.keys({ ...errors, ...serverErrors }).filter((k) => stepOf[k] === undefined || stepOf[k] === s);

  /** Puts the core's refusal on its fields and goes back to the first step that has one; false if it is not about a field. */
  const refusal = (err: unknown): boolean => {
    const e = asAppError(err);
    const issues = e.code === ErrorCode.VALIDATION_FAILED ? serverIssues(e) : [];
    let mapped: Record<string, string> = {};
    for (const i of issues) {
      const k = fieldOf(i.path.split('.'));
      if (mapped[k] === undefined) mapped[k] = readable(i.message);
    }
    if (!issues.length && mode === 'names' && (e.code === ErrorCode.NOT_FOUND || e.code === ErrorCode.AMBIGUOUS)) mapped = { devices: e.message };
    const first = Object.keys(mapped).map((k) => stepOf[k] ?? 1).sort()[0];
    if (first === undefined) return false;
    setServer({ key, errors: mapped });
    setShown((s) => ({ ...s, [first]: true }));
    setStep(first);
    return true;
  };

  // The plan of what is asked, read again whenever it changes while on the review step.
  useEffect(() => {
    if (step !== 3) return;
    let live = true;
    planRollout(JSON.parse(key) as RolloutInput).then(
      (plan) => live && setPlanned({ key, plan, error: null }),
      (err: unknown) => {
        if (!live || refusal(err)) return;
        setPlanned({ key, plan: null, error: describeError(err) });
      },
    );
    return () => {
      live = false;
    };
    // `refusal` reads the same state as `key`; re-planning follows `key` alone.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, key, planRollout]);

  const next = (): void => {
    if (step === 3) return;
    setShown((s) => ({ ...s, [step]: true }));
    if (stepErrors(step).length) return;
    if (step === 1 && mode === 'filter' && count?.key !== filterKey) return; // still counting
    setStep((step + 1) as Step);
  };

  const plan = planned?.key === key ? planned.plan : null;
  const planError = planned?.key === key ? planned.error : null;
  const needsConfirm = policy.apply || action === 'rollback';
  const confirmed = confirmedKey === key;
  const startBlocked = !plan || starting || (needsConfirm && !confirmed);

  const start = async (): Promise<void> => {
    if (startBlocked) return;
    setStarting(true);
    setStartError(null);
    try {
      const r = await create(input);
      onClose();
      navigate('rollouts', r.id);
    } catch (err) {
      setStarting(false);
      if (!refusal(err)) setStartError(describeError(err));
    }
  };

  const selection =
    mode === 'names'
      ? ` · named: ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`
      : ` · ${filterWords(deviceFilter).join(' · ') || 'every device'}`;
  const setP = <K extends keyof PolicyForm>(k: K, v: PolicyForm[K]): void => setPolicy((p) => ({ ...p, [k]: v }));
  const switchTo = library ? (chosen ? imageLabel(chosen) : '') : image.trim();
  const defaultName = action === 'switch' && switchTo ? `switch to ${switchTo}` : action;
  const sourceError = errorFor('via') ?? (library ? errorFor('transport') : undefined);

  return (
    <Dialog
      title="New rollout"
      onClose={onClose}
      busy={starting}
      width="xwide"
      onSubmit={() => (step === 3 ? void start() : next())}
      formTestId="rollout-wizard"
      footer={
        <>
          {step === 3 && plan && needsConfirm && !confirmed ? (
            <span className="plan-reason" data-testid="wizard-reason">
              Tick the confirmation first.
            </span>
          ) : null}
          <button type="button" className="button" onClick={onClose} disabled={starting}>
            Cancel
          </button>
          {step > 1 ? (
            <button type="button" className="button" onClick={() => setStep((step - 1) as Step)} disabled={starting} data-testid="wizard-back">
              Back
            </button>
          ) : null}
          {step < 3 ? (
            <button type="submit" className="button button-primary" data-testid="wizard-next">
              Next
            </button>
          ) : (
            <button type="submit" className={`button ${needsConfirm ? 'button-danger' : 'button-primary'}`} disabled={startBlocked} data-testid="wizard-start">
              {starting ? 'Starting…' : 'Start rollout'}
            </button>
          )}
        </>
      }
    >
      <div className="wizard" data-testid="wizard-body" data-step={step}>
        <ol className="phase-steps wizard-steps" aria-label="Steps">
          {STEPS.map((label, i) => {
            const n = (i + 1) as Step;
            const cls = n < step ? 'done' : n === step ? 'current' : 'todo';
            return (
              <li key={label} className={`phase phase-${cls}`} aria-current={n === step ? 'step' : undefined}>
                <span className="phase-dot" aria-hidden="true">
                  {cls === 'done' ? <CheckIcon size={11} /> : null}
                </span>
                {n < step && !starting ? (
                  <button type="button" className="link-button phase-label" onClick={() => setStep(n)}>
                    {label}
                  </button>
                ) : (
                  <span className="phase-label">{label}</span>
                )}
              </li>
            );
          })}
        </ol>

        {unplaced.length && step < 3 && (shown[step] || Object.keys(serverErrors).length) ? (
          <div className="form-error" role="alert" data-testid="wizard-error">
            <AlertIcon />
            <span>{unplaced.map(([k, m]) => (k === '_form' ? m : `${k}: ${m}`)).join(' · ')}</span>
          </div>
        ) : null}

        {step === 1 ? (
          <>
            <section className="wizard-section" aria-label="Devices">
              <div className="wizard-section-head">
                <h3 className="subhead">Devices</h3>
                <div className="toggle-group" role="group" aria-label="Choose devices">
                  <button type="button" className={`toggle${mode === 'filter' ? ' on' : ''}`} aria-pressed={mode === 'filter'} onClick={() => setMode('filter')} data-testid="wizard-mode-filter">
                    Matching a filter
                  </button>
                  <button type="button" className={`toggle${mode === 'names' ? ' on' : ''}`} aria-pressed={mode === 'names'} onClick={() => setMode('names')} data-testid="wizard-mode-names">
                    By name
                  </button>
                </div>
              </div>
              {preset?.source ? (
                <p className="wizard-note small" data-testid="wizard-preset">
                  <InfoIcon size={13} /> Pre-filled from {preset.source}.
                </p>
              ) : null}
              {mode === 'filter' ? (
                <>
                  <div className="toolbar wizard-filter">
                    <DeviceFilterControls
                      value={filter}
                      searchText={filter.search}
                      onSearchText={(search) => setFilter((f) => ({ ...f, search }))}
                      onChange={(patch) => setFilter((f) => ({ ...f, ...patch }))}
                      testPrefix="wizard"
                    />
                  </div>
                  <p className={`wizard-count${errorFor('filter') ? ' bad' : ''}`} data-testid="wizard-count" data-total={count?.key === filterKey ? count.total : undefined} role={errorFor('filter') ? 'alert' : undefined}>
                    {count?.key !== filterKey ? (
                      <span className="muted">Counting…</span>
                    ) : count.total === 0 ? (
                      'No device matches this filter.'
                    ) : (
                      <>
                        <strong>{plural(count.total, 'device')}</strong> {count.total === 1 ? 'matches' : 'match'}
                        {filterWords(deviceFilter).length ? '' : ' (every device: no filter)'}:{' '}
                        <span className="muted">
                          {count.names.join(', ')}
                          {count.total > count.names.length ? ', …' : ''}
                        </span>
                      </>
                    )}
                  </p>
                  {serverErrors.filter ? (
                    <div className="field-error" role="alert">
                      {serverErrors.filter}
                    </div>
                  ) : null}
                </>
              ) : (
                <Field name="rollout-names" label="Device names" error={errorFor('devices')} hint="One per line, or separated by commas: NAME, or SITE/NAME where a name is in several sites.">
                  {(p) => <textarea {...p} rows={4} value={namesText} onChange={(e) => setNamesText(e.target.value)} spellCheck={false} placeholder={'plc-1\nplant-7/plc-2'} />}
                </Field>
              )}
            </section>

            <section className="wizard-section" aria-label="Action">
              <fieldset className="choice-group wizard-actions">
                <legend className="subhead">Action</legend>
                {actions.map((a) => (
                  <label key={a.value} className={`choice-card${action === a.value ? ' on' : ''}`}>
                    <input type="radio" name="rollout-action" checked={action === a.value} onChange={() => setAction(a.value)} data-testid={`wizard-action-${a.value}`} />
                    <span>
                      <span className="choice-title">{rolloutActionLabel[a.value]}</span>
                      <span className="muted small choice-hint">{a.hint}</span>
                    </span>
                  </label>
                ))}
              </fieldset>
              {action !== 'rollback' ? (
                <div className="wizard-source">
                  <SourceChoice
                    via={send.via}
                    onChange={(via) => setSend((c) => ({ ...c, via }))}
                    testPrefix="wizard"
                    deviceTitle="Devices pull from the registry"
                    deviceHint={
                      action === 'switch'
                        ? 'bootc on each device fetches the image itself: each must reach the registry (or the path, for another transport).'
                        : 'bootc upgrade on each device fetches the newest image it follows: each must reach the registry.'
                    }
                    libraryHint={
                      action === 'switch'
                        ? 'Bootfleet sends a library image to each device, then bootc switches to it. No registry needed.'
                        : 'Bootfleet sends each device its update from the library, then bootc stages it. No registry needed.'
                    }
                  />
                  {sourceError ? (
                    <div className="field-error" role="alert" data-testid="error-rollout-source">
                      {sourceError}
                    </div>
                  ) : null}
                </div>
              ) : null}
              {action === 'switch' && library ? (
                <Field name="rollout-library" label="Library image" className="wizard-switch" error={errorFor('image')} required hint={chosen ? libraryHint(chosen) : undefined}>
                  {(p) => (
                    <LibraryImageSelect
                      id={p.id}
                      testId={p['data-testid']}
                      emptyTestId="wizard-library-empty"
                      images={libraryImages}
                      loadError={libraryError}
                      chosen={chosen}
                      onChoose={setLibraryId}
                      invalid={p['aria-invalid']}
                      describedBy={p['aria-describedby']}
                      onOpenImages={() => {
                        onClose();
                        navigate('images');
                      }}
                    />
                  )}
                </Field>
              ) : null}
              {action === 'upgrade' && library ? (
                <p className="wizard-note small" data-testid="wizard-upgrade-library">
                  <InfoIcon size={13} /> Each device gets the library’s image of the name it follows (NAME:TAG): pull or import the new image under that name first.
                </p>
              ) : null}
              {library ? (
                <LibrarySendFields
                  format={send.format}
                  onFormat={(format) => setSend((c) => ({ ...c, format }))}
                  rate={send.rate}
                  onRate={(rate) => setSend((c) => ({ ...c, rate }))}
                  rateError={errorFor('maxBytesPerSecond')}
                  rateHint="Optional: the most Bootfleet sends per second, to all devices together. Empty: no limit."
                  rateName="rollout-rate"
                  testPrefix="wizard"
                />
              ) : null}
              {action === 'switch' && !library ? (
                <div className="form-grid wizard-switch">
                  <Field name="rollout-image" label="Image" className="span-3" error={errorFor('image')} required>
                    {(p) => <input {...p} type="text" value={image} onChange={(e) => setImage(e.target.value)} placeholder="registry.example/os:2.0" spellCheck={false} data-autofocus />}
                  </Field>
                  <Field name="rollout-transport" label="Transport" error={errorFor('transport')}>
                    {(p) => (
                      <select {...p} value={transport} onChange={(e) => setTransport(e.target.value as Transport)}>
                        {TRANSPORTS.map((t) => (
                          <option key={t} value={t}>
                            {t}
                          </option>
                        ))}
                      </select>
                    )}
                  </Field>
                </div>
              ) : null}
              {action === 'switch' ? (
                <EnforceSignaturesCheck checked={enforceSignatures} onChange={setEnforce} signedDesired={signedDesired} testPrefix="wizard" className="wizard-enforce" who="each device" />
              ) : null}
            </section>

            <Field name="rollout-name" label="Name" className="wizard-name" error={errorFor('name')} hint="Optional: shown in the list, the log and notifications.">
              {(p) => <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder={defaultName} />}
            </Field>
          </>
        ) : null}

        {step === 2 ? (
          <section className="wizard-section" aria-label="Policy">
            <div className="policy-grid">
              <NumberField
                name="canary"
                label="Canary devices"
                value={policy.canary}
                onChange={(v) => setP('canary', v)}
                error={errorFor('canary')}
                hint="Run alone first (online devices first); 0: no canary."
              />
              <div className={`field${errorFor('batch') ? ' field-invalid' : ''}`}>
                <label htmlFor="f-rollout-batch">Then batches of</label>
                <span className="batch-input">
                  <input
                    id="f-rollout-batch"
                    type="number"
                    inputMode="numeric"
                    value={policy.batchBy === 'size' ? policy.batchSize : policy.batchPercent}
                    onChange={(e) => setP(policy.batchBy === 'size' ? 'batchSize' : 'batchPercent', e.target.value)}
                    aria-invalid={!!errorFor('batch')}
                    aria-describedby="f-rollout-batch-help"
                    data-testid="field-rollout-batch"
                  />
                  <span className="toggle-group" role="group" aria-label="Batch size as">
                    <button type="button" className={`toggle${policy.batchBy === 'size' ? ' on' : ''}`} aria-pressed={policy.batchBy === 'size'} onClick={() => setP('batchBy', 'size')} data-testid="wizard-batch-size">
                      devices
                    </button>
                    <button type="button" className={`toggle${policy.batchBy === 'percent' ? ' on' : ''}`} aria-pressed={policy.batchBy === 'percent'} onClick={() => setP('batchBy', 'percent')} data-testid="wizard-batch-percent">
                      % of the rest
                    </button>
                  </span>
                </span>
                {errorFor('batch') ? (
                  <div className="field-error" id="f-rollout-batch-help" role="alert" data-testid="error-rollout-batch">
                    {errorFor('batch')}
                  </div>
                ) : (
                  <div className="field-hint" id="f-rollout-batch-help">
                    {policy.batchBy === 'size' ? 'Devices per batch after the canary.' : 'Of the devices after the canary, rounded up.'}
                  </div>
                )}
              </div>
              <NumberField name="maxParallel" label="At once" value={policy.maxParallel} onChange={(v) => setP('maxParallel', v)} error={errorFor('maxParallel')} hint="Devices acted on at the same time within a batch." />
              <NumberField
                name="maxFailures"
                label="Failures allowed per batch"
                value={policy.maxFailures}
                onChange={(v) => setP('maxFailures', v)}
                error={errorFor('maxFailures')}
                hint="More halts the rollout; 0: the first failure halts."
              />
            </div>
            <label className="check plan-check">
              <input
                type="checkbox"
                checked={policy.pauseAfterCanary && canary > 0}
                disabled={!(canary > 0)}
                onChange={(e) => setP('pauseAfterCanary', e.target.checked)}
                data-testid="wizard-pause-after-canary"
              />
              <span>
                Pause after the canary <span className="muted">— look at it, then resume to roll out to the rest</span>
              </span>
            </label>
            <fieldset className="choice-group wizard-apply">
              <legend className="subhead">Each device</legend>
              <label className={`choice-card${policy.apply ? ' on' : ''}`}>
                <input type="radio" name="rollout-apply" checked={policy.apply} onChange={() => setP('apply', true)} data-testid="wizard-apply" />
                <span>
                  <span className="choice-title">Reboots now and is verified</span>
                  <span className="muted small choice-hint">Bootfleet reboots it into the result, waits for it to return and checks the digest it booted.</span>
                </span>
              </label>
              <label className={`choice-card${!policy.apply ? ' on' : ''}`}>
                <input type="radio" name="rollout-apply" checked={!policy.apply} onChange={() => setP('apply', false)} data-testid="wizard-stage-only" />
                <span>
                  <span className="choice-title">Stages it only</span>
                  <span className="muted small choice-hint">
                    {action === 'rollback' ? 'The rollback is queued; the device keeps running its image until it reboots.' : 'The device runs it at its next reboot, whenever that is.'}
                  </span>
                </span>
              </label>
            </fieldset>
            {policy.apply ? (
              <div className="policy-grid">
                <NumberField
                  name="waitSeconds"
                  label="Reboot wait"
                  suffix="s"
                  value={policy.waitSeconds}
                  onChange={(v) => setP('waitSeconds', v)}
                  error={errorFor('waitSeconds')}
                  hint="How long a rebooting device may take to come back."
                />
              </div>
            ) : null}
          </section>
        ) : null}

        {step === 3 ? (
          <section className="plan wizard-review" aria-label="Review" data-testid="wizard-plan" data-state={planError ? 'error' : plan ? 'ready' : 'loading'}>
            {planError ? (
              <div className="form-error" role="alert" data-testid="wizard-plan-error">
                <AlertIcon />
                <span>{planError}</span>
              </div>
            ) : !plan ? (
              <p className="muted plan-loading">
                <RefreshIcon className="spin" size={14} /> Planning from the inventory (no device is contacted)…
              </p>
            ) : (
              <PlanView plan={plan} input={input} selection={selection} />
            )}
            {plan && needsConfirm ? (
              <label className="check plan-check plan-confirm-check">
                <input type="checkbox" checked={confirmed} onChange={(e) => setConfirmedKey(e.target.checked ? key : null)} disabled={starting} data-testid="wizard-confirm-check" />
                <span>
                  {policy.apply ? (
                    <>
                      Yes, reboot these <strong>{plural(plan.total, 'device')}</strong>, batch by batch
                      {action === 'rollback' ? ' into their rollback deployment' : ''}
                    </>
                  ) : (
                    <>
                      Yes, queue the rollback on these <strong>{plural(plan.total, 'device')}</strong> (it runs at their next boot)
                    </>
                  )}
                </span>
              </label>
            ) : null}
            {startError ? (
              <div className="form-error" role="alert" data-testid="wizard-start-error">
                <AlertIcon />
                <span>{startError}</span>
              </div>
            ) : null}
          </section>
        ) : null}
      </div>
    </Dialog>
  );
}

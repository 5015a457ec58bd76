/**
 * Provision (`#/provision`): install a bootc image on boxes booted from live media, for a
 * technician at a bench. A guided flow in five steps:
 * 1. Boxes: addresses and the bench's login (a box may have its own); Inspect reads each box.
 * 2. Disk on each box: disks that cannot take the install say why; one holding data needs Wipe
 *    and its name typed.
 * 3. Image and options, the login after the install, and each box's inventory entry.
 * 4. Review: the exact command per box (`provision.plan`, nothing written); Install.
 * 5. Progress: a card per box, live, with Cancel and the new host key to confirm.
 * Under it, the recent runs. A step is reachable once the ones before it are complete; what is
 * missing is said next to Next.
 */
import { useEffect, useState, type ReactElement } from 'react';
import { ErrorCode } from '../../../shared/contract';
import { CheckIcon } from '../components/icons';
import { dirName } from '../lib/flash';
import { plural } from '../lib/format';
import { boxFieldErrors, diskProblem, entryErrors, isActive, loginErrors, optionErrors, planInput, targetKey, targetOf } from '../lib/provision';
import { useProvision, type ProvisionStep } from '../stores/provision';
import { FileBrowserDialog } from './file-browser-dialog';
import { BoxesStep, DisksStep, type BrowseFile } from './provision-boxes';
import { OptionsStep, ReviewStep } from './provision-options';
import { ProgressStep, RecentRuns } from './provision-runs';

const STEPS: { id: ProvisionStep; label: string }[] = [
  { id: 'boxes', label: 'Boxes' },
  { id: 'disks', label: 'Disks' },
  { id: 'options', label: 'Image and options' },
  { id: 'review', label: 'Review' },
  { id: 'progress', label: 'Progress' },
];

/** What keeps each step from being complete, in words (empty: complete). */
function useMissing(): Record<Exclude<ProvisionStep, 'progress'>, string[]> {
  const boxes = useProvision((s) => s.boxes);
  const shared = useProvision((s) => s.shared);
  const inspections = useProvision((s) => s.inspections);
  const options = useProvision((s) => s.options);
  const plans = useProvision((s) => s.plans);

  const boxesMissing: string[] = [];
  const sharedErrors = boxes.some((b) => !b.own) ? loginErrors(shared) : {};
  if (sharedErrors.user) boxesMissing.push('Correct the user of the live systems.');
  if (sharedErrors.password) boxesMissing.push('Enter the password of the live systems.');
  if (sharedErrors.keyPath) boxesMissing.push('Choose the key file for the live systems.');
  /** "Box 2: inspect it." with several boxes, "Inspect the box." with one. */
  const say = (i: number, several: string, one: string): void => void boxesMissing.push(boxes.length > 1 ? `Box ${i + 1}: ${several}` : one);
  boxes.forEach((b, i) => {
    if (!b.host.trim()) return say(i, 'enter its address.', 'Enter the box’s address.');
    if (Object.keys(boxFieldErrors(b, shared, boxes)).length) return say(i, 'correct its address or login.', 'Correct the address or login.');
    const ins = inspections[b.id];
    const current = ins?.key === targetKey(targetOf(b, shared));
    if (!ins || !current) return say(i, 'inspect it.', 'Inspect the box.');
    if (ins.state === 'busy') return say(i, 'wait for the inspection.', 'Wait for the inspection.');
    if (ins.error?.code === ErrorCode.SSH_HOST_KEY_CHANGED) return say(i, 'its host key changed: compare it, then accept it.', 'The box’s host key changed: compare it, then accept it.');
    if (ins.state === 'error' || !ins.host) return say(i, 'it could not be inspected.', 'The box could not be inspected.');
    if (ins.host.method === 'none') say(i, 'it cannot be provisioned (see its problems).', 'The box cannot be provisioned (see its problems).');
  });

  const disksMissing: string[] = [];
  boxes.forEach((b, i) => {
    const p = diskProblem(b, inspections[b.id]?.host ?? null);
    if (p) disksMissing.push(boxes.length > 1 ? `Box ${i + 1}: ${p}` : p);
  });

  const optionsMissing: string[] = [];
  const oe = optionErrors(options);
  if (oe.image) optionsMissing.push(options.image.trim() ? 'Correct the image.' : 'Enter the image to install.');
  if (oe.library) optionsMissing.push('Choose a library image.');
  if (Object.keys(oe).some((k) => k !== 'image' && k !== 'library')) optionsMissing.push('Correct the highlighted options.');
  boxes.forEach((b, i) => {
    const e = entryErrors(b, boxes);
    const several = boxes.length > 1;
    if (e.name) optionsMissing.push(several ? `Box ${i + 1}: ${b.name.trim() ? 'correct its name' : 'give it a name in the inventory'}.` : b.name.trim() ? 'Correct the name.' : 'Give the box a name in the inventory.');
    if (e.tags) optionsMissing.push(several ? `Box ${i + 1}: correct its tags.` : 'Correct the tags.');
  });

  const reviewMissing: string[] = [];
  const states = boxes.map((b) => {
    const check = plans[b.id];
    return check?.key === JSON.stringify(planInput(b, shared, options)) ? check.state : 'busy';
  });
  if (states.includes('busy')) reviewMissing.push('Wait for the checks.');
  if (states.includes('error')) reviewMissing.push('Every box must plan cleanly.');

  return { boxes: boxesMissing, disks: disksMissing, options: optionsMissing, review: reviewMissing };
}

/** The steps as a stepper: done steps can be gone back to (until Install). */
function Stepper({ reachable }: { reachable: number }): ReactElement {
  const step = useProvision((s) => s.step);
  const goTo = useProvision((s) => s.goTo);
  const ended = useProvision((s) => s.batchRuns.length > 0 && s.batchRuns.every((id) => !!s.runs[id] && !isActive(s.runs[id])));
  const started = step === 'progress';
  // A batch that has ended is a step done.
  const at = STEPS.findIndex((s) => s.id === step) + (started && ended ? 1 : 0);
  return (
    <nav aria-label="Provisioning steps" className="provision-stepper">
      <ol className="phase-steps wizard-steps" data-testid="provision-steps" data-step={step}>
        {STEPS.map((s, i) => {
          const cls = i < at ? 'done' : i === at ? 'current' : 'todo';
          const canGo = !started && i !== at && i <= reachable && s.id !== 'progress';
          return (
            <li key={s.id} className={`phase phase-${cls}`} aria-current={i === at ? 'step' : undefined}>
              <span className="phase-dot" aria-hidden="true">
                {cls === 'done' ? <CheckIcon size={11} /> : null}
              </span>
              {canGo ? (
                <button type="button" className="link-button phase-label" onClick={() => goTo(s.id)} data-testid={`provision-goto-${s.id}`}>
                  {s.label}
                </button>
              ) : (
                <span className="phase-label">{s.label}</span>
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

/** Back, Next, and what is missing before Next. */
function StepNav({ missing }: { missing: string[] }): ReactElement | null {
  const step = useProvision((s) => s.step);
  const goTo = useProvision((s) => s.goTo);
  const at = STEPS.findIndex((s) => s.id === step);
  if (step === 'progress' || step === 'review') {
    return step === 'review' ? (
      <div className="provision-nav">
        <button type="button" className="button" onClick={() => goTo('options')} data-testid="provision-back">
          Back
        </button>
      </div>
    ) : null;
  }
  const next = STEPS[at + 1]!;
  return (
    <div className="provision-nav">
      {at > 0 ? (
        <button type="button" className="button" onClick={() => goTo(STEPS[at - 1]!.id)} data-testid="provision-back">
          Back
        </button>
      ) : null}
      <p className="provision-missing muted small" data-testid="provision-missing" role="status">
        {missing.length ? missing.slice(0, 3).join(' ') + (missing.length > 3 ? ` And ${plural(missing.length - 3, 'more thing')}.` : '') : ''}
      </p>
      <button type="button" className="button button-primary" onClick={() => goTo(next.id)} disabled={missing.length > 0} data-testid="provision-next">
        Next: {next.label}
      </button>
    </div>
  );
}

/** The Provision page. */
export function ProvisionPage(): ReactElement {
  const step = useProvision((s) => s.step);
  const loadRecent = useProvision((s) => s.loadRecent);
  const lastDir = useProvision((s) => s.lastDir);
  const rememberDir = useProvision((s) => s.rememberDir);
  const running = useProvision((s) => Object.values(s.runs).filter((r) => r.state === 'running' || r.state === 'pending').length);
  const missing = useMissing();
  const [browsing, setBrowsing] = useState<{ title: string; start: string | null; choose(path: string): void } | null>(null);

  useEffect(() => {
    void loadRecent();
  }, [loadRecent]);

  const order: (keyof typeof missing)[] = ['boxes', 'disks', 'options', 'review'];
  // The furthest step that can be opened: every step before it is complete.
  let reachable = 0;
  while (reachable < order.length && missing[order[reachable]!].length === 0) reachable++;

  // Hidden folders are not listed: a key's folder (~/.ssh) is opened directly.
  const onBrowse: BrowseFile = (title, current, choose, fallback) => setBrowsing({ title, start: dirName(current.trim()) ?? fallback ?? lastDir, choose });

  return (
    <div className="page flash-page provision-page" data-testid="provision-page">
      <div className="page-header">
        <div>
          <h1>Provision</h1>
          <p className="page-subtitle" data-testid="provision-subtitle">
            Install a bootc image on boxes booted from live media, verify what they boot, and add them to the inventory.
            {running ? ` · ${plural(running, 'box', 'boxes')} being provisioned` : ''}
          </p>
        </div>
      </div>
      <div className="page-body scroll">
        <Stepper reachable={reachable} />
        {step === 'boxes' ? <BoxesStep onBrowse={onBrowse} /> : null}
        {step === 'disks' ? <DisksStep /> : null}
        {step === 'options' ? <OptionsStep onBrowse={onBrowse} /> : null}
        {step === 'review' ? <ReviewStep /> : null}
        {step === 'progress' ? <ProgressStep /> : null}
        <StepNav missing={step === 'progress' ? [] : missing[step]} />
        <RecentRuns />
      </div>
      {browsing ? (
        <FileBrowserDialog
          title={browsing.title}
          initialShow="all"
          start={browsing.start}
          onClose={() => setBrowsing(null)}
          onChoose={(path) => {
            browsing.choose(path);
            const dir = dirName(path);
            if (dir) rememberDir(dir);
            setBrowsing(null);
          }}
        />
      ) : null}
    </div>
  );
}

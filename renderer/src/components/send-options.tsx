/**
 * The choices for sending an image from the library (switch and upgrade, one device or a
 * rollout): where the image comes from, then its form on the device and a rate limit.
 */
import type { ReactElement, ReactNode } from 'react';
import { libraryFormatText, type LibraryFormat, type Via } from '../lib/via-library';
import { Field } from './field';

/** A radio card of a choice group. */
function ChoiceCard({ on, name, title, hint, onPick, testId }: { on: boolean; name: string; title: ReactNode; hint: ReactNode; onPick(): void; testId: string }): ReactElement {
  return (
    <label className={`choice-card${on ? ' on' : ''}`}>
      <input type="radio" name={name} checked={on} onChange={onPick} data-testid={testId} />
      <span>
        <span className="choice-title">{title}</span>
        <span className="muted small choice-hint">{hint}</span>
      </span>
    </label>
  );
}

/** "Where the image comes from": the device pulls it, or Bootfleet sends it (`${testPrefix}-via-device|library`). */
export function SourceChoice({
  via,
  onChange,
  testPrefix,
  deviceTitle,
  deviceHint,
  libraryHint,
}: {
  via: Via;
  onChange(via: Via): void;
  testPrefix: string;
  deviceTitle: string;
  deviceHint: ReactNode;
  libraryHint: ReactNode;
}): ReactElement {
  return (
    <fieldset className="choice-group switch-sources" data-testid={`${testPrefix}-source`} data-via={via}>
      <legend className="subhead">Where the image comes from</legend>
      <ChoiceCard on={via === 'device'} name={`${testPrefix}-via`} title={deviceTitle} hint={deviceHint} onPick={() => onChange('device')} testId={`${testPrefix}-via-device`} />
      <ChoiceCard
        on={via === 'library'}
        name={`${testPrefix}-via`}
        title="From the image library, over SSH"
        hint={libraryHint}
        onPick={() => onChange('library')}
        testId={`${testPrefix}-via-library`}
      />
    </fieldset>
  );
}

/**
 * "On the device": an OCI layout (only missing layers sent) or one oci-archive file, and the most
 * bytes per second sent (`${testPrefix}-format-oci|oci-archive`, the rate field `field-${rateName}`).
 */
export function LibrarySendFields({
  format,
  onFormat,
  rate,
  onRate,
  rateError,
  rateHint,
  rateName,
  testPrefix,
}: {
  format: LibraryFormat;
  onFormat(f: LibraryFormat): void;
  rate: string;
  onRate(text: string): void;
  rateError: string | null | undefined;
  rateHint: ReactNode;
  /** The rate Field's name (ids `f-<name>`, test ids `field-<name>`, `error-<name>`). */
  rateName: string;
  testPrefix: string;
}): ReactElement {
  return (
    <div className="send-fields" data-testid={`${testPrefix}-send`}>
      <fieldset className="choice-group switch-sources">
        <legend className="subhead">On the device</legend>
        {(['oci', 'oci-archive'] as const).map((f) => (
          <ChoiceCard
            key={f}
            on={format === f}
            name={`${testPrefix}-format`}
            title={libraryFormatText[f].title}
            hint={libraryFormatText[f].hint}
            onPick={() => onFormat(f)}
            testId={`${testPrefix}-format-${f}`}
          />
        ))}
      </fieldset>
      <Field name={rateName} label="Max rate" error={rateError ?? undefined} hint={rateHint} className="send-rate">
        {(p) => (
          <span className="number-input">
            <input {...p} type="text" inputMode="decimal" value={rate} onChange={(e) => onRate(e.target.value)} placeholder="no limit" spellCheck={false} />
            <span className="muted">MB/s</span>
          </span>
        )}
      </Field>
    </div>
  );
}

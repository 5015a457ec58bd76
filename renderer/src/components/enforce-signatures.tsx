import type { ReactElement } from 'react';

/**
 * "Enforce signature policy" (bootc switch --enforce-container-sigpolicy), as the Switch dialog
 * and the rollout wizard offer it: ticked for an image whose desired entry requires signed images.
 */
export function EnforceSignaturesCheck(props: {
  checked: boolean;
  onChange(checked: boolean): void;
  /** The image's desired entry requires signed images (says why the box is ticked). */
  signedDesired: boolean;
  /** `switch` or `wizard`: test ids `${testPrefix}-enforce-signatures` and `${testPrefix}-enforce-desired`. */
  testPrefix: string;
  className: string;
  /** "the device" or "each device" */
  who: string;
}): ReactElement {
  return (
    <label className={`check check-top ${props.className}`}>
      <input type="checkbox" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} data-testid={`${props.testPrefix}-enforce-signatures`} />
      <span>
        Enforce signature policy
        {props.signedDesired ? (
          <span className="badge badge-ok switch-enforce-why" title="A desired image entry for this image requires signed images" data-testid={`${props.testPrefix}-enforce-desired`}>
            its desired image requires it
          </span>
        ) : null}
        <span className="muted small check-hint">
          <code>--enforce-container-sigpolicy</code>: {props.who} refuses the image unless its containers-policy.json verifies the signature, and keeps enforcing it for later upgrades.
        </span>
      </span>
    </label>
  );
}

/** Output a device or box printed, following the end while the user has not scrolled up. */
import { useEffect, useRef, type ReactElement } from 'react';

export interface LogViewProps {
  text: string;
  /** For screen readers: "Output of edge-01". */
  label?: string;
  testId?: string;
  /** Shown while there is no output. */
  empty?: string;
}

/** A scrolling `<pre>` (`job-log`): it sticks to the newest line until scrolled up, and again once scrolled back down. */
export function LogView({ text, label = 'Output', testId = 'job-log', empty = 'No output yet.' }: LogViewProps): ReactElement {
  const ref = useRef<HTMLPreElement>(null);
  const stick = useRef(true);
  useEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <pre
      ref={ref}
      className="job-log"
      data-testid={testId}
      tabIndex={0}
      aria-label={label}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 8;
      }}
    >
      {text || <span className="muted">{empty}</span>}
    </pre>
  );
}

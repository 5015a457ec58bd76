/** Catches render errors in a page so the shell (navigation, header) keeps working. */
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { AlertIcon } from './icons';

interface State {
  error: Error | null;
}

/** Shows a render failure in place of the page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('Bootfleet: page failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <div className="banner banner-error" role="alert" data-testid="global-error">
        <AlertIcon />
        <span>
          <strong>This page failed to render: </strong>
          {this.state.error.message} <code className="error-code">RENDER</code>
        </span>
        <button type="button" className="button small" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}

declare const __BOOTFLEET_VERSION__: string | undefined;

/** The package version, injected at build time (falls back for tests run from source). */
export const VERSION: string = typeof __BOOTFLEET_VERSION__ === 'string' ? __BOOTFLEET_VERSION__ : '0.0.0-dev';

import { describe, expect, it } from 'vitest';
import { isAllowedExternal } from './external-links';

describe('links the desktop app opens in the system browser', () => {
  it('allows https links to the documentation hosts', () => {
    expect(isAllowedExternal('https://bootc-dev.github.io/bootc/man/bootc-switch.html')).toBe(true);
    expect(isAllowedExternal('https://github.com/containers/bootc/issues/1')).toBe(true);
    expect(isAllowedExternal('https://GITHUB.com/x')).toBe(true);
  });

  it('refuses everything else: other schemes, other hosts, look-alikes, credentials, ports, junk', () => {
    for (const url of [
      'http://github.com/x',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'ms-msdt:/id',
      'https://evil.example/github.com',
      'https://github.com.evil.example/',
      'https://evilgithub.com/',
      'https://user:pw@github.com/',
      'https://github.com:8443/',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternal(url), url).toBe(false);
    }
  });
});

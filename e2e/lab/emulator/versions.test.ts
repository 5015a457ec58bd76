import { describe, expect, it } from 'vitest';
import { atLeast, compareVersions, effectiveVersion, featuresFor, parseVersion } from './versions';

describe('versions', () => {
  it('parses and orders bootc releases numerically', () => {
    expect(parseVersion('1.16.9')).toEqual([1, 16, 9]);
    expect(parseVersion('v0.1.14')).toEqual([0, 1, 14]);
    expect(parseVersion('1.1.3-rc.0')).toEqual([1, 1, 3]);
    expect(() => parseVersion('latest')).toThrow(/Not a bootc version/);
    expect(compareVersions('1.16.9', '1.9.0')).toBeGreaterThan(0);
    expect(compareVersions('0.1.15', '0.1.14')).toBeGreaterThan(0);
    expect(atLeast('1.1.7', '1.1.7')).toBe(true);
    expect(atLeast('1.1.6', '1.1.7')).toBe(false);
  });

  it('gives unknown versions the nearest lower known behaviour', () => {
    expect(effectiveVersion('1.16.12')).toBe('1.16.9');
    expect(effectiveVersion('1.1.1')).toBe('1.1.0');
    expect(effectiveVersion('2.0.0')).toBe('1.16.9');
    expect(effectiveVersion('0.1.2')).toBe('0.1.13');
    expect(featuresFor('1.16.12').version).toBe('1.16.12');
    expect(featuresFor('1.16.12').readOnlyField).toBe(true);
  });

  it('switches features at the releases the sources say', () => {
    const at = (v: string) => featuresFor(v);
    expect(at('0.1.14').apiVersion).toBe('org.containers.bootc/v1alpha1');
    expect(at('0.1.15').apiVersion).toBe('org.containers.bootc/v1');
    expect([at('1.0.9').humanStyle, at('1.1.2').humanStyle, at('1.1.3').humanStyle]).toEqual(['none', 'old', 'current']);
    expect([at('1.1.6').humanChronoTimestamps, at('1.1.7').humanChronoTimestamps]).toEqual([true, false]);
    expect([at('1.1.6').architecture, at('1.1.7').architecture, at('1.1.7').rollbackApply]).toEqual([false, true, true]);
    expect([at('1.4.0').sortedJson, at('1.5.0').sortedJson, at('1.5.0').statusVerbose]).toEqual([false, true, true]);
    expect([at('1.6.0').softReboot, at('1.7.0').softReboot, at('1.7.0').softRebootHidden, at('1.8.0').softRebootHidden]).toEqual([false, true, true, false]);
    expect([at('1.8.0').rebootRequired, at('1.9.0').rebootRequired, at('1.9.0').composefsField]).toEqual([false, true, true]);
    expect([at('1.10.0').newStorage, at('1.11.0').newStorage]).toEqual([false, true]);
    expect([at('1.11.0').downloadOnly, at('1.12.0').downloadOnly]).toEqual([false, true]);
    expect([at('1.13.0').usrOverlayField, at('1.14.0').usrOverlayField]).toEqual([false, true]);
    expect([at('1.14.1').upgradeTag, at('1.15.0').upgradeTag, at('1.15.0').humanUpdateLines]).toEqual([false, true, true]);
    expect([at('1.16.6').readOnlyField, at('1.16.7').readOnlyField]).toEqual([false, true]);
    expect([at('1.1.2').rootMessage, at('1.1.3').rootMessage]).toEqual(['This command requires root privileges', 'This command must be executed as the root user']);
    expect([at('1.1.6').install.runFetchCheck, at('1.1.7').install.runFetchCheck, at('1.9.0').install.bootloader, at('1.10.0').install.bootloader]).toEqual([false, true, false, true]);
    expect([at('1.15.0').install.kargDelete, at('1.15.1').install.kargDelete]).toEqual([false, true]);
  });
});

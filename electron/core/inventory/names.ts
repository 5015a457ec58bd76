/** `SITE/NAME` for a device in a site, else `NAME`: how devices are named in messages and logs. */
export function qualifiedName(name: string, site: string | null | undefined): string {
  return site ? `${site}/${name}` : name;
}

/**
 * An error message without its leading `NAME: `. Core errors name the device so they read
 * alone; where a row or group already shows the name, the prefix is dropped.
 */
export function withoutName(message: string, name: string): string {
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message;
}

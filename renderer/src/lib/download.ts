/** Saves a blob as a file through a temporary object URL and `<a download>`. */
function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Saves text as a file. */
export function downloadText(fileName: string, content: string, type: string): void {
  downloadBlob(fileName, new Blob([content], { type }));
}

/** Saves bytes as a file. */
export function downloadBytes(fileName: string, bytes: Uint8Array<ArrayBuffer>, type: string): void {
  downloadBlob(fileName, new Blob([bytes], { type }));
}

/** Base64 (as the core sends binary files, e.g. a PDF report) as bytes. */
export function base64Bytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Saves a file the core made (text, or base64 for binary files) under its own name and type. */
export function downloadFile(file: { fileName: string; mediaType: string; encoding: 'utf8' | 'base64'; content: string }): void {
  if (file.encoding === 'base64') downloadBytes(file.fileName, base64Bytes(file.content), file.mediaType);
  else downloadText(file.fileName, file.content, file.mediaType);
}

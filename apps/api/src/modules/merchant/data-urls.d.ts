/** The part of data-urls (WHATWG data: URL parsing, as browsers do it) this API uses. */
declare module 'data-urls' {
  interface DataURL {
    mimeType: { essence: string; toString(): string };
    body: Uint8Array;
  }
  function parseDataURL(input: string): DataURL | null;
  export default parseDataURL;
}

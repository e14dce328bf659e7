/**
 * The part of jsdom this API uses: a window for DOMPurify to sanitise SVG logos in. (@types/jsdom would
 * pull the whole DOM library into every program that imports the API, the browser tests' included.)
 */
declare module 'jsdom' {
  interface SvgWindow {
    XMLSerializer: new () => { serializeToString(node: unknown): string };
    DOMParser: new () => {
      parseFromString(
        text: string,
        type: 'image/svg+xml',
      ): { documentElement: { nodeName: string }; getElementsByTagName(name: string): { length: number } };
    };
  }
  export class JSDOM {
    constructor(html?: string);
    readonly window: SvgWindow;
  }
}

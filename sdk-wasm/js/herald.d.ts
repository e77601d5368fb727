// Types of Herald's browser SDK (dist/sdk/herald.js).

export type Permission = 'granted' | 'denied' | 'default' | 'unsupported';
export type Frequency = 'immediate' | 'daily_digest' | 'weekly_digest';

/** Codes carried by rejected promises (`error.code`) and console reports. */
export type HeraldErrorCode =
  | 'unsupported' | 'needs-user-gesture' | 'permission-denied' | 'forbidden' | 'invalid'
  | 'not-initialized' | 'not-subscribed' | 'queued' | 'timeout' | 'server' | 'browser';

export interface HeraldError extends Error {
  name: 'HeraldError';
  code: HeraldErrorCode;
  /** The HTTP status of the answer, when the server or the auth endpoint refused. */
  status?: number;
}

export interface InitOptions {
  /** Herald server origin; defaults to the page's origin. */
  server?: string;
  /** Project id. */
  project: string;
  /** Service worker URL; default '/herald-sw.js'. */
  serviceWorker?: string;
  /** Service worker scope. */
  scope?: string;
  /** The site's endpoint answering {signature} or {token} for ?uid=… */
  authEndpoint?: string;
  /** Headers for authEndpoint, e.g. a CSRF token. */
  authHeaders?: Record<string, string>;
  /** Longest wait for pushManager.subscribe(); default 15000. */
  subscribeTimeoutMs?: number;
}

export interface SubscribeOptions {
  uid?: string;
  uidSignature?: string;
  tags?: string[];
  topics?: string[];
}

export interface Status {
  subscribed: boolean;
  permission: Permission;
  uid: string | null;
  tags: string[];
  topics: string[];
  frequency: Frequency;
}

export interface Preferences {
  topics?: string[];
  frequency?: Frequency;
}

export interface StatusDetails {
  permission: Permission;
  uid: string | null;
  tags: string[];
  topics: string[];
  frequency: Frequency;
}

/** Pushpad-style command function (also window.herald and window.pushpad). */
export interface HeraldCommand {
  (command: 'init', options: InitOptions): Promise<unknown>;
  (command: 'subscribe', callback?: ((isSubscribed: boolean) => void) | null, options?: SubscribeOptions): Promise<unknown>;
  (command: 'uid', uid: string, uidSignature?: string | null, callback?: (done: boolean) => void): Promise<unknown>;
  (command: 'unsubscribe', callback?: ((done: boolean) => void) | null, options?: { uid: true }): Promise<unknown>;
  (command: 'status', callback: (isSubscribed: boolean, details: StatusDetails | null) => void): Promise<unknown>;
  (command: 'tags', tags: string[], callback?: (done: boolean) => void): Promise<unknown>;
  (command: 'preferences', preferences: Preferences, callback?: (done: boolean) => void): Promise<unknown>;
  /** Replays the changes queued in IndexedDB now (also done on `online`). */
  (command: 'flush'): Promise<unknown>;
}

export declare const herald: HeraldCommand;
export declare function init(options: InitOptions): Promise<boolean>;
export declare function subscribe(options?: SubscribeOptions): Promise<boolean>;
export declare function setUid(uid: string, uidSignature?: string): Promise<boolean>;
export declare function logOut(): Promise<boolean>;
export declare function unsubscribe(): Promise<boolean>;
export declare function status(): Promise<Status>;
export declare function setTags(tags: string[]): Promise<boolean>;
export declare function setPreferences(preferences: Preferences): Promise<boolean>;
export declare function flush(): Promise<boolean>;
export declare function unsupportedReason(): Promise<string | null>;

declare const _default: {
  herald: HeraldCommand;
  init: typeof init;
  subscribe: typeof subscribe;
  setUid: typeof setUid;
  logOut: typeof logOut;
  unsubscribe: typeof unsubscribe;
  status: typeof status;
  setTags: typeof setTags;
  setPreferences: typeof setPreferences;
  flush: typeof flush;
  unsupportedReason: typeof unsupportedReason;
};
export default _default;

declare global {
  interface Window {
    herald: HeraldCommand & { q?: unknown[][] };
    pushpad: HeraldCommand & { q?: unknown[][] };
  }
}

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
  /** The site's endpoint answering {signature} or {token} to a POST to ?uid=… (cookies included). */
  authEndpoint?: string;
  /** Headers for authEndpoint, e.g. a CSRF token. */
  authHeaders?: Record<string, string>;
  /** Longest wait for pushManager.subscribe(); default 15000. */
  subscribeTimeoutMs?: number;
  /** The version of the consent text the page shows; sent with every subscription and preference change. */
  disclosureVersion?: string;
  /** When the soft prompt shows by itself: every condition given must hold. */
  triggers?: Triggers;
  /** The soft prompt's words, icon and place. */
  prompt?: PromptOptions;
  /** Days without a prompt after the 1st, 2nd, 3rd (and every later) dismissal; default [3, 7, 30]. */
  backoffDays?: number[];
  /** Any of the UI's strings, by key (see herald-ui.js), e.g. {prefsTitle: 'Alerts'}. */
  texts?: Record<string, string | string[]>;
}

export interface Triggers {
  /** Page views on this origin in this browser, this one included. */
  pageViews?: number;
  /** Seconds on this page. */
  seconds?: number;
  /** A CSS selector: the element at least 60% in view. */
  visible?: string;
}

export interface PromptOptions {
  title?: string;
  text?: string;
  /** An image URL shown beside the title. */
  icon?: string;
  /** The button that asks the browser; default 'Turn on notifications'. */
  allow?: string;
  /** The button that starts a back-off; default 'Not now'. */
  later?: string;
  /** Where the dialog sits; default the middle. */
  position?: 'top' | 'bottom';
}

/** How the soft prompt ended. */
export type PromptOutcome = 'granted' | 'denied' | 'dismissed' | 'ineligible';

export interface BellOptions {
  position?: 'bottom-right' | 'bottom-left';
  /** The accessible name before the state; default 'Notifications' ("Notifications: on"). */
  label?: string;
  /** The preference center the bell opens once subscribed. */
  topics?: Topic[];
  frequencies?: Frequency[];
}

export interface Topic {
  id: string;
  label: string;
  description?: string;
}

export interface PreferenceCenterOptions {
  topics?: Topic[];
  /** The choices offered; default all three. */
  frequencies?: Frequency[];
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
  /** The soft prompt now, if this browser may be asked (obeys the back-off). */
  (command: 'prompt', callback?: (outcome: PromptOutcome) => void): Promise<unknown>;
  (command: 'bell', options?: BellOptions): Promise<unknown>;
  (command: 'preferenceCenter', element: Element | string, options?: PreferenceCenterOptions): Promise<unknown>;
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
export declare function prompt(): Promise<PromptOutcome>;
export declare function bell(options?: BellOptions): Promise<boolean>;
export declare function preferenceCenter(element: Element | string, options?: PreferenceCenterOptions): Promise<boolean>;

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
  prompt: typeof prompt;
  bell: typeof bell;
  preferenceCenter: typeof preferenceCenter;
};
export default _default;

declare global {
  interface Window {
    herald: HeraldCommand & { q?: unknown[][] };
    pushpad: HeraldCommand & { q?: unknown[][] };
  }
  interface WindowEventMap {
    'herald:prompt-shown': CustomEvent<{}>;
    'herald:prompt-accepted': CustomEvent<{}>;
    'herald:prompt-dismissed': CustomEvent<{}>;
    'herald:permission-denied': CustomEvent<{}>;
    'herald:subscribed': CustomEvent<{}>;
    'herald:unsubscribed': CustomEvent<{}>;
    'herald:preferences-changed': CustomEvent<{}>;
  }
}

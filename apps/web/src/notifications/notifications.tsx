import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { api, serverNow } from '../api/client';
import type { AppNotification, EmergencyEntry, Role } from '../api/types';
import { useI18n } from '../i18n/i18n';

/** The roles the server sends notifications to (pages, assignments, break-glass alerts). */
export const NOTIFIED_ROLES: readonly Role[] = [
  'lawyer',
  'psychologist',
  'responder',
  'coordinator',
];

export const receivesNotifications = (roles: readonly Role[]): boolean =>
  roles.some((role) => NOTIFIED_ROLES.includes(role));

export type Connection = 'connecting' | 'live' | 'offline';

type Listener = (notification: AppNotification) => void;

export interface Notifications {
  /** Newest first; undefined until the first load. */
  list: AppNotification[] | undefined;
  unread: number;
  /** Whether new notifications arrive live (server-sent events) right now. */
  connection: Connection;
  markRead: (id: string) => Promise<void>;
  markAllRead: () => Promise<void>;
  reload: () => Promise<void>;
  /** Called with every notification that arrives live; returns the unsubscribe function. */
  subscribe: (listener: Listener) => () => void;
  /** The alarm for a new emergency; browsers allow sound only after a click on the page. */
  sound: { on: boolean; blocked: boolean; toggle: () => void; play: () => void };
  /**
   * The browser's own notifications for a new emergency page, while a tab is open: what the
   * person allowed ('unsupported' in a browser without them) and the way to ask, which must
   * run from a click (browsers ignore a request made on load, and it would be rude).
   */
  desktop: { permission: NotificationPermission | 'unsupported'; request: () => Promise<void> };
  /** The latest live arrival, for the screen-reader announcement in the header. */
  latest: AppNotification | null;
}

const NotificationsContext = createContext<Notifications | null>(null);

const ALARM_URL = '/sounds/emergency-alert.wav';
/** The sound setting is a preference of the device, per person: no personal data in it. */
const soundSlot = (userId: string) => `mayak.sound.${userId}`;

function storedSound(userId: string): boolean {
  try {
    return localStorage.getItem(soundSlot(userId)) === 'on';
  } catch {
    return false;
  }
}

function storeSound(userId: string, on: boolean): void {
  try {
    if (on) localStorage.setItem(soundSlot(userId), 'on');
    else localStorage.removeItem(soundSlot(userId));
  } catch {
    // Storage refused (a private window): the setting lasts as long as the tab.
  }
}

/** Shows and opens notifications only; never subscribes to push (see the file itself). */
const NOTIFICATION_WORKER_URL = '/page-notifications-sw.js';

async function showThroughWorker(title: string, options: NotificationOptions): Promise<void> {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register(NOTIFICATION_WORKER_URL);
    const registration = await navigator.serviceWorker.ready;
    await registration.showNotification(title, options);
  } catch {
    // No worker (a private window, an old browser): the sound and the window title still alert.
  }
}

const notificationPermission = (): NotificationPermission | 'unsupported' =>
  'Notification' in window ? Notification.permission : 'unsupported';
/** After a refused or broken stream: wait this long, then longer, up to the maximum. */
const RETRY_MS = 2_000;
const RETRY_MAX_MS = 30_000;

const byNewest = (a: AppNotification, b: AppNotification) => b.createdAt.localeCompare(a.createdAt);

function merge(list: AppNotification[] | undefined, add: AppNotification): AppNotification[] {
  const rest = (list ?? []).filter((n) => n.id !== add.id);
  return [add, ...rest].sort(byNewest);
}

function isNotification(value: unknown): value is AppNotification {
  if (!value || typeof value !== 'object') return false;
  const n = value as Record<string, unknown>;
  return typeof n.id === 'string' && typeof n.type === 'string' && typeof n.createdAt === 'string';
}

/**
 * The signed-in person's notifications: loaded once, then kept current over one server-sent
 * event stream (the session cookie authenticates it). A stream the server refuses or drops is
 * reopened with a growing pause, and the list is reloaded on every (re)connection so that
 * nothing sent while it was down is missed. Only ids and types travel: no case content.
 */
export function NotificationsProvider({
  enabled,
  userId,
  children,
}: {
  enabled: boolean;
  /** Whose sound setting this device remembers. */
  userId: string;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [list, setList] = useState<AppNotification[] | undefined>(undefined);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [latest, setLatest] = useState<AppNotification | null>(null);
  const [soundOn, setSoundOn] = useState(() => storedSound(userId));
  const [soundBlocked, setSoundBlocked] = useState(false);
  const soundBlockedRef = useRef(false);
  useEffect(() => {
    soundBlockedRef.current = soundBlocked;
  }, [soundBlocked]);
  const [permission, setPermission] = useState(notificationPermission);
  const listeners = useRef(new Set<Listener>());
  const soundOnRef = useRef(soundOn);
  const alarm = useRef<HTMLAudioElement | null>(null);

  const playAlarm = useCallback(() => {
    alarm.current ??= new Audio(ALARM_URL);
    const audio = alarm.current;
    audio.currentTime = 0;
    audio
      .play()
      .then(() => setSoundBlocked(false))
      .catch(() => setSoundBlocked(true));
  }, []);

  /**
   * A new page, shown by the browser even when another tab or app is in front. Only what to
   * do and how soon travels to the operating system's notification centre (and a phone's lock
   * screen): never the region, the caller or the case. It is made here, in the open tab, by
   * the Notification API: no push service and no service worker, because a push service
   * (Google's, Apple's, Mozilla's) would learn who is paged, and when, from abroad.
   */
  const announce = useCallback(
    async (notification: AppNotification) => {
      if (notificationPermission() !== 'granted') return;
      let minutes: number | null = null;
      try {
        const board = await api.get<EmergencyEntry[]>('/api/emergencies');
        const due = board.find((e) => e.id === notification.caseId)?.ackDueAt;
        if (due) minutes = Math.max(1, Math.ceil((Date.parse(due) - serverNow()) / 60_000));
      } catch {
        // Without the deadline the notification still says a page is waiting.
      }
      const title = t('browserNotification.title');
      const options: NotificationOptions = {
        body:
          minutes === null
            ? t('browserNotification.body')
            : t('browserNotification.bodyMinutes', { minutes }),
        requireInteraction: true,
      };
      let shown: Notification;
      try {
        shown = new Notification(title, options);
      } catch {
        // Chrome on Android allows notifications only through a service worker: ours only
        // shows them (and opens the board when one is tapped, see the listener below).
        await showThroughWorker(title, options);
        return;
      }
      shown.onclick = () => {
        window.focus();
        void navigate('/emergencies');
        shown.close();
      };
    },
    [t, navigate],
  );
  const announceRef = useRef(announce);
  useEffect(() => {
    announceRef.current = announce;
  });

  // A notification tapped on a phone: the service worker asks this tab to show the board.
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    const onMessage = (event: MessageEvent<unknown>) => {
      const data = event.data as { type?: unknown } | null;
      if (data?.type === 'open-board') void navigate('/emergencies');
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    return () => navigator.serviceWorker.removeEventListener('message', onMessage);
  }, [navigate]);

  const requestPermission = useCallback(async () => {
    if (!('Notification' in window)) return;
    setPermission(await Notification.requestPermission());
  }, []);

  const reload = useCallback(async () => {
    try {
      const fresh = await api.get<AppNotification[]>('/api/notifications');
      setList([...fresh].sort(byNewest));
    } catch {
      // The list stays as it was; a dead session is handled by the API client.
    }
  }, []);

  useEffect(() => {
    if (!enabled) return;
    let source: EventSource | null = null;
    let retry: number | undefined;
    let failures = 0;
    let stopped = false;

    const receive = (event: MessageEvent<string>) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!isNotification(parsed)) return;
      const notification = parsed;
      setList((current) => merge(current, notification));
      setLatest(notification);
      if (notification.type === 'emergency_page' && soundOnRef.current) playAlarm();
      if (notification.type === 'emergency_page') void announceRef.current(notification);
      listeners.current.forEach((listener) => listener(notification));
    };

    const connect = () => {
      if (stopped) return;
      const opened = new EventSource('/api/notifications/stream');
      source = opened;
      opened.addEventListener('open', () => {
        failures = 0;
        setConnection('live');
        void reload();
      });
      opened.addEventListener('notification', receive);
      opened.addEventListener('error', () => {
        if (opened.readyState !== EventSource.CLOSED) {
          // The browser reconnects by itself; until then nothing arrives live.
          setConnection('connecting');
          return;
        }
        // Refused (the session may have ended: asking the API finds out and signs out if
        // so) or unreachable: try again after a pause.
        opened.close();
        setConnection('offline');
        failures += 1;
        void api.get('/api/auth/me').catch(() => undefined);
        // The list still loads (and reloads on every attempt) while live updates are down.
        void reload();
        retry = window.setTimeout(
          () => {
            setConnection('connecting');
            connect();
          },
          Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (failures - 1)),
        );
      });
    };

    // The list itself loads when the stream opens (and again on every reopening).
    connect();
    return () => {
      stopped = true;
      source?.close();
      window.clearTimeout(retry);
    };
  }, [enabled, reload, playAlarm]);

  const markRead = useCallback(async (id: string) => {
    const updated = await api.post<AppNotification>(`/api/notifications/${id}/read`);
    setList((current) => current?.map((n) => (n.id === id ? updated : n)));
  }, []);

  const markAllRead = useCallback(async () => {
    const unread = (list ?? []).filter((n) => !n.readAt);
    await Promise.all(unread.map((n) => markRead(n.id)));
  }, [list, markRead]);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);

  const toggleSound = useCallback(() => {
    // Remembered as on, but the browser refused to play before a click on the page: this
    // click is the one it waited for, so it tries again instead of turning the sound off.
    if (soundOnRef.current && soundBlockedRef.current) {
      playAlarm();
      return;
    }
    const next = !soundOnRef.current;
    soundOnRef.current = next;
    setSoundOn(next);
    storeSound(userId, next);
    // The click that turns it on is the gesture that lets the page play sound: test it now.
    if (next) playAlarm();
    else setSoundBlocked(false);
  }, [playAlarm, userId]);

  const value = useMemo<Notifications>(
    () => ({
      list,
      unread: (list ?? []).filter((n) => !n.readAt).length,
      connection: enabled ? connection : 'offline',
      markRead,
      markAllRead,
      reload,
      subscribe,
      sound: { on: soundOn, blocked: soundBlocked, toggle: toggleSound, play: playAlarm },
      desktop: { permission, request: requestPermission },
      latest,
    }),
    [
      list,
      enabled,
      connection,
      markRead,
      markAllRead,
      reload,
      subscribe,
      soundOn,
      soundBlocked,
      toggleSound,
      playAlarm,
      permission,
      requestPermission,
      latest,
    ],
  );
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): Notifications {
  const value = useContext(NotificationsContext);
  if (!value) throw new Error('useNotifications outside NotificationsProvider');
  return value;
}

/** Runs `listener` for each notification that arrives live while the component is shown. */
export function useNotificationArrivals(listener: Listener): void {
  const { subscribe } = useNotifications();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => subscribe((n) => latest.current(n)), [subscribe]);
}

import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { SignJWT } from 'jose';
import { createAuthenticator } from '../server/auth.js';
import type { SandboxCredentials } from './credentials.js';
import { DEMO_USERS, findCourseRun } from './demo-catalog.js';
import type { DemoCourseRun, DemoUser } from './demo-catalog.js';
import type { DemoOrder } from './demo-orders.js';
import { displayValue, isRecord, routeParam } from './http-server.js';
import type { RouteRegistrar } from './http-server.js';
import { ReadCache } from './read-cache.js';

/** The LMS's DRF views answer `{ detail }` for generic errors. */
export function lmsErrorBody(_status: number, message: string): unknown {
  return { detail: message };
}

const TOKEN_LIFETIME_SECONDS = 3600;
const TOKEN_SCOPES = ['read', 'write', 'email', 'profile'];
const USERNAME_PATTERN = /^[\w.@+-]{1,150}$/;
/** The staff user that owns the gateway's OAuth2 application (client credentials). */
const SERVICE_USER: DemoUser = {
  userId: 3,
  username: 'commerce_service',
  email: 'commerce_service@example.com',
  name: 'Commerce service',
  administrator: true,
};
/** `/api/enrollment/v1/enrollments/`: DRF's CursorPagination, 100 a page, newest first. */
const LIST_PAGE_SIZE = 100;
const MAX_LISTED_USERNAMES = 100;
const MODE_NAMES: Readonly<Record<string, string>> = {
  audit: 'Audit',
  verified: 'Verified Certificate',
  professional: 'Professional Education',
  'no-id-professional': 'Professional Education',
  credit: 'Credit',
  honor: 'Honor Certificate',
};

interface EnrollmentAttribute {
  namespace: string;
  name: string;
  value: string;
}

interface StoredEnrollment {
  created: string;
  mode: string;
  isActive: boolean;
  user: string;
  run: DemoCourseRun;
  attributes: EnrollmentAttribute[];
}

/** The LMS's users and enrollments, in memory. */
export class LmsState {
  private readonly users = new Map<string, DemoUser>();
  private readonly enrollments = new Map<string, StoredEnrollment>();
  private nextUserId = 2001;
  /** Answers of enrollment lists, dropped at every change to an enrollment. */
  readonly reads = new ReadCache();

  constructor(seed: boolean, orders: readonly DemoOrder[]) {
    for (const user of Object.values(DEMO_USERS)) this.users.set(user.username, user);
    if (!seed) return;
    for (const order of orders) {
      const created = new Date(Date.parse(order.createdAt) + 60_000).toISOString();
      for (const line of order.lines) {
        const run = findCourseRun(line.courseRunKey);
        if (!run)
          throw new Error(`Demo order ${order.number} names unknown run ${line.courseRunKey}`);
        this.enrollments.set(`${order.user.username}|${run.key}`, {
          created,
          mode: line.mode,
          isActive: line.status === 'FULFILLED',
          user: order.user.username,
          run,
          attributes: [{ namespace: 'order', name: 'order_number', value: order.number }],
        });
      }
    }
  }

  /** The user, created on the fly for an unknown username (the sandbox accepts anyone). */
  user(username: string): DemoUser {
    let user = this.users.get(username);
    if (!user) {
      user = {
        userId: this.nextUserId++,
        username,
        email: `${username}@example.com`,
        name: username,
        administrator: false,
      };
      this.users.set(username, user);
    }
    return user;
  }

  list(username: string): StoredEnrollment[] {
    return [...this.enrollments.values()]
      .filter((e) => e.user === username)
      .sort((x, y) => (x.created < y.created ? -1 : x.created > y.created ? 1 : 0));
  }

  /** The enrollments of these users (of everyone when null), newest first, as the staff list. */
  listNewestFirst(usernames: ReadonlySet<string> | null): StoredEnrollment[] {
    return [...this.enrollments.values()]
      .filter((e) => usernames === null || usernames.has(e.user))
      .sort(
        (x, y) =>
          y.created.localeCompare(x.created) ||
          `${x.user}|${x.run.key}`.localeCompare(`${y.user}|${y.run.key}`),
      );
  }

  get(username: string, courseId: string): StoredEnrollment | undefined {
    return this.enrollments.get(`${username}|${courseId}`);
  }

  put(enrollment: StoredEnrollment): void {
    this.enrollments.set(`${enrollment.user}|${enrollment.run.key}`, enrollment);
    this.reads.changed();
  }
}

/** The staff list's lean shape (CourseEnrollmentsApiListSerializer): no course details. */
function listedEnrollmentJson(e: StoredEnrollment): Record<string, unknown> {
  return {
    created: e.created,
    mode: e.mode,
    is_active: e.isActive,
    user: e.user,
    course_id: e.run.key,
  };
}

export function enrollmentJson(e: StoredEnrollment): Record<string, unknown> {
  return {
    created: e.created,
    mode: e.mode,
    is_active: e.isActive,
    user: e.user,
    course_details: {
      course_id: e.run.key,
      course_name: e.run.title,
      enrollment_start: e.run.enrollmentStart,
      enrollment_end: e.run.enrollmentEnd,
      course_start: e.run.start,
      course_end: e.run.end,
      invite_only: false,
      course_modes: e.run.seats.map((seat) => ({
        slug: seat.mode,
        name: MODE_NAMES[seat.mode] ?? seat.mode,
        min_price: Number(seat.price),
        suggested_prices: '',
        currency: seat.currency.toLowerCase(),
        expiration_datetime: null,
        description: null,
        sku: seat.sku,
        bulk_sku: null,
      })),
    },
  };
}

function parseAttributes(value: unknown): EnrollmentAttribute[] | string {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return 'enrollment_attributes must be a list.';
  const attributes: EnrollmentAttribute[] = [];
  for (const item of value as unknown[]) {
    if (!isRecord(item) || typeof item.namespace !== 'string' || typeof item.name !== 'string') {
      return 'Each enrollment attribute needs a namespace, a name and a value.';
    }
    attributes.push({ namespace: item.namespace, name: item.name, value: String(item.value) });
  }
  return attributes;
}

function changeEnrollment(state: LmsState, body: unknown, res: Response): void {
  const bad = (message: string): void => {
    res.status(400).json({ message });
  };
  if (!isRecord(body)) return bad('The request body must be a JSON object.');
  const details = body.course_details;
  const courseId = isRecord(details) ? details.course_id : undefined;
  if (typeof courseId !== 'string' || courseId === '') {
    return bad('Course ID must be specified to create a new enrollment.');
  }
  if (typeof body.user !== 'string' || !USERNAME_PATTERN.test(body.user)) {
    return bad('User must be specified to create a new enrollment.');
  }
  const mode = body.mode ?? 'audit';
  if (typeof mode !== 'string') return bad(`Course mode '${displayValue(mode)}' is invalid.`);
  const isActive = body.is_active ?? true;
  if (typeof isActive !== 'boolean') {
    return bad(`'${displayValue(isActive)}' is an invalid enrollment activation status.`);
  }
  const attributes = parseAttributes(body.enrollment_attributes);
  if (typeof attributes === 'string') return bad(attributes);

  const run = findCourseRun(courseId);
  if (!run) return bad(`No course '${courseId}' found for enrollment`);
  if (!run.seats.some((seat) => seat.mode === mode)) {
    return bad(
      `The [${mode}] course mode is expired or otherwise unavailable for course run [${courseId}].`,
    );
  }

  const username = state.user(body.user).username;
  const existing = state.get(username, run.key);
  const enrollment: StoredEnrollment = {
    created: existing?.created ?? new Date().toISOString(),
    mode,
    isActive,
    user: username,
    run,
    attributes: [
      ...(existing?.attributes ?? []).filter(
        (kept) => !attributes.some((a) => a.namespace === kept.namespace && a.name === kept.name),
      ),
      ...attributes,
    ],
  };
  state.put(enrollment);
  res.json(enrollmentJson(enrollment));
}

async function issueToken(
  state: LmsState,
  credentials: SandboxCredentials,
  body: unknown,
  res: Response,
): Promise<void> {
  const form = isRecord(body) ? body : {};
  if (form.grant_type !== 'password' && form.grant_type !== 'client_credentials') {
    res.status(400).json({ error: 'unsupported_grant_type' });
    return;
  }
  const tokenType = form.token_type ?? 'jwt';
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'jwt') {
    res.status(400).json({
      error: 'invalid_request',
      error_description: 'The sandbox issues JWTs only (token_type=jwt).',
    });
    return;
  }
  if (form.grant_type === 'client_credentials') {
    const client = credentials.lmsServiceClient;
    if (form.client_id !== client.clientId || form.client_secret !== client.clientSecret) {
      res.status(401).json({ error: 'invalid_client' });
      return;
    }
    await sendToken(SERVICE_USER, credentials, res);
    return;
  }
  const { username, password } = form;
  if (typeof username !== 'string' || typeof password !== 'string') {
    res.status(400).json({
      error: 'invalid_request',
      error_description: 'Request is missing username or password.',
    });
    return;
  }
  if (!USERNAME_PATTERN.test(username) || password !== credentials.demoPassword) {
    res
      .status(401)
      .json({ error: 'invalid_grant', error_description: 'Invalid credentials given.' });
    return;
  }
  await sendToken(state.user(username), credentials, res);
}

async function sendToken(
  user: DemoUser,
  credentials: SandboxCredentials,
  res: Response,
): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT({
    user_id: user.userId,
    preferred_username: user.username,
    email: user.email,
    name: user.name,
    administrator: user.administrator,
    scopes: TOKEN_SCOPES,
    version: '1.2.0',
    email_verified: true,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(credentials.jwt.issuer)
    .setAudience(credentials.jwt.audience)
    // The LMS puts the user's anonymous id in `sub`, never the username.
    .setSubject(createHash('sha256').update(`anon:${user.userId}`).digest('hex').slice(0, 32))
    .setIssuedAt(now)
    .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
    .sign(new TextEncoder().encode(credentials.jwt.secretKey));
  res.json({
    access_token: accessToken,
    token_type: 'JWT',
    expires_in: TOKEN_LIFETIME_SECONDS,
    scope: TOKEN_SCOPES.join(' '),
  });
}

/** `GET /api/enrollment/v1/enrollments/?username=a,b&cursor=…`: the staff list, paged. */
function listForStaff(state: LmsState, req: Request, res: Response): void {
  const { username, cursor } = req.query;
  let usernames: Set<string> | null = null;
  if (username !== undefined) {
    const names = typeof username === 'string' ? username.split(',') : [];
    if (names.length > MAX_LISTED_USERNAMES) {
      res.status(400).json({
        username: [
          `Too many usernames in a single request - ${names.length}. A maximum of ${MAX_LISTED_USERNAMES} is allowed`,
        ],
      });
      return;
    }
    if (!names.every((name) => USERNAME_PATTERN.test(name))) {
      res.status(400).json({ username: ['Enter a valid username.'] });
      return;
    }
    usernames = new Set(names);
  }
  let offset = 0;
  if (cursor !== undefined) {
    const decoded =
      typeof cursor === 'string'
        ? /^o=(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString())
        : null;
    if (!decoded?.[1]) {
      res.status(404).json({ detail: 'Invalid cursor' });
      return;
    }
    offset = Number(decoded[1]);
  }
  const pageUrl = (position: number): string => {
    const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
    url.searchParams.set('cursor', Buffer.from(`o=${position}`).toString('base64url'));
    return url.toString();
  };
  res.type('json').send(
    state.reads.json(`staff ${req.get('host') ?? ''} ${req.originalUrl}`, () => {
      const all = state.listNewestFirst(usernames);
      return {
        next: offset + LIST_PAGE_SIZE < all.length ? pageUrl(offset + LIST_PAGE_SIZE) : null,
        previous: offset > 0 ? pageUrl(Math.max(offset - LIST_PAGE_SIZE, 0)) : null,
        results: all.slice(offset, offset + LIST_PAGE_SIZE).map(listedEnrollmentJson),
      };
    }),
  );
}

export function lmsRoutes(
  state: LmsState,
  credentials: SandboxCredentials,
): (route: RouteRegistrar) => void {
  const requireApiKey: RequestHandler = (req, res, next) => {
    if (req.get('X-Edx-Api-Key') !== credentials.lmsApiKey) {
      res.status(403).json({ detail: 'You do not have permission to perform this action.' });
      return;
    }
    next();
  };

  // The staff list takes a JWT (`Authorization: JWT …`, as the LMS's JwtAuthentication) of a
  // staff user, never the API key: DRF answers 401 without credentials, 403 for a learner. The
  // gateway's own check verifies it, and remembers a verified token until it expires: a service
  // client sends the same one for an hour, and checking its signature at every request cost this
  // process more than the list (it shares the bench's cores with the gateway).
  const authenticate = createAuthenticator({ ...credentials.jwt, publicSigningJwkSet: null });
  const requireStaffJwt: RequestHandler = (req, res, next) => {
    const [scheme, token] = (req.get('Authorization') ?? '').split(' ');
    if (scheme !== 'JWT' || !token) {
      res.status(401).json({ detail: 'Authentication credentials were not provided.' });
      return;
    }
    void authenticate({ token }).then(({ viewer }) => {
      if (!viewer) res.status(401).json({ detail: 'Error decoding token.' });
      else if (!viewer.isStaff) {
        res.status(403).json({ detail: 'You do not have permission to perform this action.' });
      } else next();
    });
  };

  return (route) => {
    route(
      'get',
      '/api/enrollment/v1/enrollments/',
      requireStaffJwt,
      (req: Request, res: Response) => {
        listForStaff(state, req, res);
      },
    );

    route('get', '/api/enrollment/v1/enrollment', requireApiKey, (req: Request, res: Response) => {
      const user = req.query.user;
      if (typeof user !== 'string' || user === '') {
        res.status(400).json({ message: 'The user query parameter is required with an API key.' });
        return;
      }
      res
        .type('json')
        .send(state.reads.json(req.originalUrl, () => state.list(user).map(enrollmentJson)));
    });

    route(
      'get',
      '/api/enrollment/v1/enrollment/:usernameAndCourse',
      requireApiKey,
      (req: Request, res: Response) => {
        const param = routeParam(req, 'usernameAndCourse');
        const comma = param.indexOf(',');
        if (comma <= 0) {
          res.status(400).json({ message: 'Expected USERNAME,COURSE_ID in the path.' });
          return;
        }
        const enrollment = state.get(param.slice(0, comma), param.slice(comma + 1));
        // The real LMS answers 200 with an empty body when there is no enrollment.
        if (!enrollment) res.status(200).type('application/json').send('');
        else res.json(enrollmentJson(enrollment));
      },
    );

    route('post', '/api/enrollment/v1/enrollment', requireApiKey, (req: Request, res: Response) => {
      changeEnrollment(state, req.body, res);
    });

    route('post', '/oauth2/access_token', async (req: Request, res: Response) => {
      await issueToken(state, credentials, req.body, res);
    });

    route('get', '/heartbeat', (_req, res) => {
      res.json({});
    });
  };
}

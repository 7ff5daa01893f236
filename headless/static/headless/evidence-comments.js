// @ts-check
/**
 * <evidence-comments post="5" api="https://cms.example/api/v3/"></evidence-comments>
 *
 * A post's comments for any front end: one ES module, no framework, no build step. It
 * reads and posts through the v3 comments API (types generated from its OpenAPI document
 * into api-types.d.ts), so it follows the same rules as the site's own form.
 *
 * Strict-CSP safe: no inline script or style and no eval; its styles are a constructable
 * stylesheet adopted by its shadow root. Readers' strings only ever become text
 * (textContent); the one HTML it inserts is each comment's `html`, which the server
 * sanitized with its allow-list. Theming: the --evidence-comments-* custom properties
 * and the parts named in docs/headless.md.
 */

/** @typedef {import("./api-types").components["schemas"]} Schemas */
/** @typedef {Schemas["CommentOut"]} CommentOut */
/** @typedef {Schemas["PagedCommentOut"]} PagedCommentOut */
/** @typedef {Schemas["CommentIn"]} CommentIn */
/** @typedef {Schemas["CommentCreated"]} CommentCreated */
/** @typedef {Schemas["FormToken"]} FormToken */
/** @typedef {Schemas["ProblemDetail"]} ProblemDetail */
/** @typedef {Schemas["BlogPostPageSchema"]} BlogPostPage */
/** @typedef {{token: FormToken, fetchedAt: number}} HeldToken */
/** @typedef {{id: number, parent: number | null, author_name: string, body: string}} PendingComment */
/** @typedef {"author_name" | "author_email" | "author_url" | "body"} FieldName */

const FIELDS = /** @type {const} */ (["author_name", "author_email", "author_url", "body"]);
const REMEMBER_KEY = "evidence-comments:author";
/** Where an app keeps the signed proof that this reader confirmed their address (the
 * `confirmation` of POST /api/v3/comments/confirmations/confirm/): without it a known
 * address earns no trust, so the reader's comments are held. */
const CONFIRMATION_KEY = "evidence-comments:confirmation";
const PENDING_KEY_PREFIX = "evidence-comments:pending:";

const STYLES = `
:host {
  display: block;
  color: var(--evidence-comments-text, inherit);
  font: var(--evidence-comments-font, inherit);
}
[hidden] { display: none !important; }
ol { list-style: none; margin: 0; padding: 0; }
ol ol { margin-inline-start: var(--evidence-comments-indent, 1.5rem); }
article {
  border-inline-start: 3px solid var(--evidence-comments-rule, #d0d7de);
  padding: 0.25rem 0 0.25rem 0.75rem;
  margin: 0.75rem 0;
}
.pending { border-inline-start-color: var(--evidence-comments-pending, #bf8700); }
header { font-weight: 600; }
time, .note { color: var(--evidence-comments-muted, #57606a); font-weight: normal; font-size: 0.9em; }
.own-text { white-space: pre-wrap; }
form { display: grid; gap: 0.5rem; max-width: 40rem; margin-top: 1rem; }
label { display: grid; gap: 0.25rem; }
label.check { display: flex; gap: 0.5rem; align-items: center; }
input, textarea { font: inherit; padding: 0.4rem; border: 1px solid var(--evidence-comments-rule, #8c959f); border-radius: var(--evidence-comments-radius, 4px); }
textarea { min-height: 6rem; }
[aria-invalid="true"] { border-color: var(--evidence-comments-error, #cf222e); }
.error { color: var(--evidence-comments-error, #cf222e); margin: 0; }
button {
  font: inherit; cursor: pointer; justify-self: start;
  padding: 0.35rem 0.9rem; border-radius: var(--evidence-comments-radius, 4px);
  border: 1px solid var(--evidence-comments-accent, #0969da);
  background: var(--evidence-comments-accent, #0969da);
  color: var(--evidence-comments-accent-text, #fff);
}
button.link { background: none; color: var(--evidence-comments-accent, #0969da); border: none; padding: 0; }
button:disabled { opacity: 0.6; cursor: not-allowed; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
`;

/** @type {CSSStyleSheet | undefined} */
let sharedSheet;

function styleSheet() {
  if (!sharedSheet) {
    sharedSheet = new CSSStyleSheet();
    sharedSheet.replaceSync(STYLES);
  }
  return sharedSheet;
}

/**
 * An element with attributes and children; text only ever through textContent.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string>} [attributes]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
function make(tag, attributes = {}, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, value);
  }
  for (const child of children) {
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** @param {string} address */
function isWebAddress(address) {
  try {
    const url = new URL(address);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The field a 422 error names (its `loc` ends with it), or null for the form as a whole.
 * @param {{[key: string]: unknown}} error
 * @returns {FieldName | null}
 */
function errorField(error) {
  const loc = Array.isArray(error.loc) ? error.loc : [];
  const last = loc[loc.length - 1];
  return FIELDS.find((field) => field === last) ?? null;
}

/** A problem+json answer, or one made up for an answer that is not one. */
class Problem extends Error {
  /**
   * @param {number} status
   * @param {ProblemDetail | null} problem
   * @param {number | null} retryAfter
   */
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.errors = problem?.errors ?? [];
    this.retryAfter = retryAfter;
  }
}

export class EvidenceComments extends HTMLElement {
  static get observedAttributes() {
    return ["post", "api"];
  }

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [styleSheet()];
    /** @type {Map<number, HTMLOListElement>} replies list of each drawn comment */
    this.replyLists = new Map();
    /** @type {Set<number>} */
    this.drawnIds = new Set();
    this.offset = 0;
    this.total = 0;
    /** @type {HeldToken | null} */
    this.heldToken = null;
    /** @type {Promise<HeldToken> | null} */
    this.tokenRequest = null;
    /** @type {number | null} */
    this.replyTo = null;
    this.waitTimer = 0;
    this.status = make("p", { part: "status", role: "status", "aria-live": "polite", class: "note" });
    this.heading = make("h2", { part: "heading" }, ["Comments"]);
    this.list = make("ol", { part: "thread" });
    this.more = make("button", { type: "button", part: "more-button", hidden: "" }, ["Show more comments"]);
    this.more.addEventListener("click", () => this.loadPage());

    this.form = make("form", { part: "form", novalidate: "" });
    this.formTitle = make("h3", { part: "form-title" }, ["Leave a comment"]);
    this.replyNote = make("p", { class: "note", hidden: "" });
    this.cancelReply = make("button", { type: "button", class: "link", part: "cancel-reply" }, ["Cancel reply"]);
    this.cancelReply.addEventListener("click", () => this.setReplyTo(null));
    this.replyNote.append(this.cancelReply);
    this.formError = make("p", { class: "error", part: "error", role: "alert", hidden: "" });

    /** @type {Record<FieldName, HTMLInputElement | HTMLTextAreaElement>} */
    this.inputs = {
      author_name: make("input", { name: "author_name", autocomplete: "name", required: "", maxlength: "100" }),
      author_email: make("input", { name: "author_email", type: "email", autocomplete: "email", required: "", maxlength: "254" }),
      author_url: make("input", { name: "author_url", type: "url", autocomplete: "url", maxlength: "500" }),
      body: make("textarea", { name: "body", required: "" }),
    };
    /** @type {Record<FieldName, HTMLParagraphElement>} */
    this.fieldErrors = /** @type {any} */ ({});
    const labels = {
      author_name: "Name",
      author_email: "Email (never published)",
      author_url: "Website (optional)",
      body: "Comment",
    };
    const fields = FIELDS.map((field) => {
      const input = this.inputs[field];
      const errorId = `error-${field}`;
      input.id = `field-${field}`;
      input.setAttribute("part", field === "body" ? "textarea" : "input");
      input.setAttribute("aria-describedby", errorId);
      const error = make("p", { id: errorId, class: "error", part: "field-error", hidden: "" });
      this.fieldErrors[field] = error;
      return make("label", { part: "field" }, [labels[field], input, error]);
    });
    this.notify = make("input", { type: "checkbox", name: "notify" });
    this.remember = make("input", { type: "checkbox", name: "remember" });
    this.submit = make("button", { type: "submit", part: "submit-button" }, ["Post comment"]);
    this.closedNote = make("p", { part: "closed", class: "note", hidden: "" });
    this.form.append(
      this.formTitle,
      this.replyNote,
      this.formError,
      ...fields,
      make("label", { class: "check" }, [this.notify, "Email me when someone replies"]),
      make("label", { class: "check" }, [this.remember, "Remember my name and email on this device"]),
      this.submit,
    );
    // The token's min_seconds run while the reader types, not after "Post comment".
    this.form.addEventListener("focusin", () => this.warmToken());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    root.append(this.heading, this.status, this.list, this.more, this.closedNote, this.form);
    this.restoreAuthor();
  }

  get postId() {
    return Number(this.getAttribute("post"));
  }

  get apiRoot() {
    const api = this.getAttribute("api") || "/api/v3/";
    return new URL(api.endsWith("/") ? api : `${api}/`, document.baseURI);
  }

  get pageSize() {
    return Math.max(1, Math.min(50, Number(this.getAttribute("page-size")) || 20));
  }

  connectedCallback() {
    this.reset();
  }

  /** @param {string} _name @param {string | null} before @param {string | null} after */
  attributeChangedCallback(_name, before, after) {
    if (this.isConnected && before !== null && before !== after) {
      this.reset();
    }
  }

  reset() {
    if (!(this.postId > 0)) {
      this.announce("This comment section has no post id.");
      return;
    }
    this.list.replaceChildren();
    this.replyLists.clear();
    this.drawnIds.clear();
    this.offset = 0;
    this.heldToken = null;
    this.setReplyTo(null);
    this.loadOpenness();
    this.loadPage().then(() => this.drawPending());
  }

  /**
   * JSON from the API, or a Problem for any answer that is not 2xx.
   * @param {string} path
   * @param {RequestInit} [init]
   * @returns {Promise<any>}
   */
  async request(path, init = {}) {
    const response = await fetch(new URL(path, this.apiRoot), {
      credentials: "omit",
      // Revalidated each time (ETag): a reader who just posted, or a post that just
      // closed, is seen at once rather than after the API's max-age.
      cache: "no-cache",
      headers: { Accept: "application/json", ...(init.body ? { "Content-Type": "application/json" } : {}) },
      ...init,
    });
    const type = response.headers.get("Content-Type") || "";
    const payload = type.includes("json") ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      const wait = Number(response.headers.get("Retry-After"));
      throw new Problem(response.status, payload, Number.isFinite(wait) && wait > 0 ? wait : null);
    }
    return payload;
  }

  async loadOpenness() {
    try {
      /** @type {BlogPostPage} */
      const post = await this.request(`pages/${this.postId}/`);
      if (post.comments_open === false) {
        this.close("Comments are closed on this post.");
      }
    } catch {
      // The form stays; posting says why if the post is gone or closed.
    }
  }

  /** @param {string} reason */
  close(reason) {
    this.form.hidden = true;
    this.closedNote.textContent = reason;
    this.closedNote.hidden = false;
    for (const button of this.shadowRoot?.querySelectorAll("button.reply") ?? []) {
      button.setAttribute("hidden", "");
    }
  }

  async loadPage() {
    this.more.disabled = true;
    try {
      /** @type {PagedCommentOut} */
      const page = await this.request(
        `comments/?page=${this.postId}&limit=${this.pageSize}&offset=${this.offset}`,
      );
      for (const comment of page.items) {
        this.drawComment(comment);
      }
      this.offset += page.items.length;
      this.total = page.count;
      this.heading.textContent = page.count === 1 ? "1 comment" : `${page.count} comments`;
      this.more.hidden = this.offset >= page.count;
      if (this.offset > this.pageSize) {
        this.announce(`Showing ${this.offset} of ${page.count} comments.`);
      }
    } catch (error) {
      this.announce(error instanceof Problem && error.status === 404 ? "This post has no comments to show." : "The comments could not be loaded.");
    } finally {
      this.more.disabled = false;
    }
  }

  /**
   * Adds a comment under its parent (or at the end of the thread) once.
   * @param {CommentOut} comment
   */
  drawComment(comment) {
    if (this.drawnIds.has(comment.id)) {
      return;
    }
    this.drawnIds.add(comment.id);
    this.forgetPending(comment.id);
    const body = make("div", { part: "body" });
    const header = make("header", { part: "author" });
    if (comment.removed) {
      body.textContent = "This comment was removed.";
      body.setAttribute("class", "note");
    } else {
      // The server's sanitized HTML (bleach allow-list), the only HTML inserted.
      body.innerHTML = comment.html;
      const name = isWebAddress(comment.website)
        ? make("a", { href: comment.website, rel: "nofollow ugc noopener" }, [comment.author_name])
        : make("span", {}, [comment.author_name]);
      header.append(name);
      if (comment.staff) {
        header.append(" ", make("span", { part: "staff-badge", class: "note" }, ["(staff)"]));
      }
    }
    const time = make("time", { datetime: comment.created_at }, [new Date(comment.created_at).toLocaleString()]);
    header.append(" ", time);
    const article = make("article", { part: "comment", id: `comment-${comment.id}`, "data-comment-id": String(comment.id) }, [header, body]);
    if (!comment.removed) {
      const reply = make("button", { type: "button", class: "link reply", part: "reply-button" }, ["Reply"]);
      reply.setAttribute("aria-label", `Reply to ${comment.author_name}`);
      if (this.form.hidden) {
        reply.hidden = true;
      }
      reply.addEventListener("click", () => this.setReplyTo(comment.id, comment.author_name));
      article.append(reply);
    }
    const replies = make("ol", { part: "replies" });
    this.replyLists.set(comment.id, replies);
    const item = make("li", {}, [article, replies]);
    this.listFor(comment.parent).append(item);
  }

  /** @param {number | null} parent */
  listFor(parent) {
    return (parent !== null && this.replyLists.get(parent)) || this.list;
  }

  /**
   * @param {number | null} commentId
   * @param {string} [authorName]
   */
  setReplyTo(commentId, authorName = "") {
    this.replyTo = commentId;
    const article = commentId === null ? null : this.shadowRoot?.getElementById(`comment-${commentId}`);
    if (article) {
      article.after(this.form);
      this.formTitle.textContent = `Reply to ${authorName}`;
      this.replyNote.hidden = false;
      this.inputs.body.focus();
    } else {
      this.replyTo = null;
      this.more.after(this.form);
      this.formTitle.textContent = "Leave a comment";
      this.replyNote.hidden = true;
    }
  }

  /** @param {string} message */
  announce(message) {
    // Cleared first so the same message twice is read twice.
    this.status.textContent = "";
    window.setTimeout(() => {
      this.status.textContent = message;
    }, 50);
  }

  /** A token fetched at least its min_seconds ago, used once (the server's rules). */
  async freshToken() {
    const held = this.heldToken;
    if (held && (Date.now() - held.fetchedAt) / 1000 < held.token.max_age_seconds - 30) {
      return held;
    }
    if (!this.tokenRequest) {
      this.tokenRequest = this.request(`comments/form-token/?page=${this.postId}`)
        .then((/** @type {FormToken} */ token) => ({ token, fetchedAt: Date.now() }))
        .finally(() => {
          this.tokenRequest = null;
        });
    }
    this.heldToken = await this.tokenRequest;
    return this.heldToken;
  }

  warmToken() {
    if (!this.heldToken && !this.tokenRequest) {
      this.freshToken().catch(() => {
        this.heldToken = null;
      });
    }
  }

  /** Fetches the next token ahead, so a reader fixing an error need not wait for it. */
  prefetchToken() {
    this.heldToken = null;
    this.freshToken().catch(() => {
      this.heldToken = null;
    });
  }

  clearErrors() {
    this.formError.hidden = true;
    this.formError.textContent = "";
    for (const field of FIELDS) {
      this.fieldErrors[field].hidden = true;
      this.fieldErrors[field].textContent = "";
      this.inputs[field].removeAttribute("aria-invalid");
    }
  }

  /** @param {string} message */
  showFormError(message) {
    this.formError.textContent = message;
    this.formError.hidden = false;
  }

  /** @returns {CommentIn | null} the comment, or null after marking what is missing */
  collect() {
    let complete = true;
    for (const field of ["author_name", "author_email", "body"]) {
      const name = /** @type {FieldName} */ (field);
      if (!this.inputs[name].value.trim()) {
        this.fieldError(name, "This field is required.");
        complete = false;
      }
    }
    if (!complete) {
      return null;
    }
    return {
      page: this.postId,
      parent: this.replyTo,
      author_name: this.inputs.author_name.value,
      author_email: this.inputs.author_email.value,
      author_url: this.inputs.author_url.value,
      body: this.inputs.body.value,
      notify: this.notify.checked,
      token: "",
      confirmation: storedConfirmation(),
    };
  }

  /** @param {FieldName} field @param {string} message */
  fieldError(field, message) {
    const error = this.fieldErrors[field];
    error.textContent = error.textContent ? `${error.textContent} ${message}` : message;
    error.hidden = false;
    this.inputs[field].setAttribute("aria-invalid", "true");
  }

  async send() {
    if (this.submit.disabled) {
      return;
    }
    this.clearErrors();
    const comment = this.collect();
    if (!comment) {
      this.announce("Please fix the marked fields.");
      const firstInvalid = this.shadowRoot?.querySelector('[aria-invalid="true"]')?.closest("label")?.querySelector("input, textarea");
      if (firstInvalid instanceof HTMLElement) {
        firstInvalid.focus();
      }
      return;
    }
    this.submit.disabled = true;
    this.announce("Sending your comment…");
    try {
      const held = await this.freshToken();
      const early = held.token.min_seconds * 1000 - (Date.now() - held.fetchedAt);
      if (early > 0) {
        await sleep(early + 100);
      }
      comment.token = held.token.token;
      this.heldToken = null; // single use, whatever the answer
      /** @type {CommentCreated} */
      const created = await this.request("comments/", { method: "POST", body: JSON.stringify(comment) });
      this.posted(created, comment);
      this.submit.disabled = false;
    } catch (error) {
      this.failed(error);
    }
  }

  /**
   * @param {CommentCreated} created
   * @param {CommentIn} comment
   */
  async posted(created, comment) {
    this.rememberAuthor();
    this.inputs.body.value = "";
    const parent = comment.parent ?? null;
    this.setReplyTo(null);
    this.prefetchToken();
    if (created.status === "approved") {
      try {
        this.drawComment(await this.request(`comments/${created.id}/`));
        // The offset stays: if the new comment shifted the thread, the next page starts
        // with one already drawn (skipped), and none is missed.
        this.total += 1;
        this.heading.textContent = this.total === 1 ? "1 comment" : `${this.total} comments`;
      } catch {
        // Shown on the next load.
      }
      this.announce("Your comment is published.");
      this.shadowRoot?.getElementById(`comment-${created.id}`)?.scrollIntoView({ block: "nearest" });
    } else {
      const pending = { id: created.id, parent, author_name: comment.author_name, body: comment.body };
      this.keepPending(pending);
      this.drawPendingComment(pending);
      this.announce("Your comment is awaiting moderation.");
    }
  }

  /** @param {unknown} error */
  failed(error) {
    const waitAsked = error instanceof Problem && (error.status === 429 || error.status === 503);
    if (!waitAsked) {
      this.prefetchToken();
    }
    if (!(error instanceof Problem)) {
      this.submit.disabled = false;
      this.showFormError("The comment could not be sent (no connection?). Your text is kept: please try again.");
      this.announce("The comment could not be sent.");
      return;
    }
    if (error.status === 422) {
      let onFields = 0;
      for (const item of error.errors) {
        const field = errorField(item);
        const message = typeof item.msg === "string" ? item.msg : "This value is not accepted.";
        if (field) {
          this.fieldError(field, message);
          onFields += 1;
        } else {
          this.showFormError(message);
        }
      }
      if (!onFields && this.formError.hidden) {
        this.showFormError(error.message);
      }
      this.submit.disabled = false;
      this.announce("The comment has errors; your text is kept.");
      return;
    }
    if (error.status === 403 && /closed/i.test(error.message)) {
      this.submit.disabled = false;
      this.close(error.message);
      this.announce(error.message);
      return;
    }
    this.showFormError(error.message);
    this.announce(error.message);
    if (waitAsked && error.retryAfter) {
      this.waitThenEnable(error.retryAfter);
    } else {
      this.submit.disabled = false;
    }
  }

  /** @param {number} seconds */
  waitThenEnable(seconds) {
    window.clearInterval(this.waitTimer);
    let left = seconds;
    const label = "Post comment";
    this.submit.disabled = true;
    this.submit.textContent = `${label} (wait ${left} s)`;
    this.waitTimer = window.setInterval(() => {
      left -= 1;
      if (left > 0) {
        this.submit.textContent = `${label} (wait ${left} s)`;
        return;
      }
      window.clearInterval(this.waitTimer);
      this.submit.textContent = label;
      this.submit.disabled = false;
      this.announce("You can send your comment again.");
    }, 1000);
  }

  /** @param {PendingComment} pending */
  drawPendingComment(pending) {
    if (this.drawnIds.has(pending.id)) {
      return;
    }
    this.drawnIds.add(pending.id);
    const text = make("div", { part: "body", class: "own-text" }, [pending.body]);
    const header = make("header", { part: "author" }, [
      make("span", {}, [pending.author_name]),
      " ",
      make("span", { part: "pending-note", class: "note" }, ["Your comment is awaiting moderation."]),
    ]);
    const article = make("article", { part: "comment pending", class: "pending", id: `comment-${pending.id}`, "data-comment-id": String(pending.id) }, [header, text]);
    this.listFor(pending.parent).append(make("li", {}, [article]));
  }

  get pendingKey() {
    return `${PENDING_KEY_PREFIX}${this.postId}`;
  }

  /** @returns {PendingComment[]} the reader's own held comments, for this tab's session */
  pendingComments() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(this.pendingKey) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch {
      return [];
    }
  }

  /** @param {PendingComment} pending */
  keepPending(pending) {
    try {
      sessionStorage.setItem(this.pendingKey, JSON.stringify([...this.pendingComments(), pending]));
    } catch {
      // Storage refused (private mode, quota): shown until the page reloads.
    }
  }

  /** @param {number} id */
  forgetPending(id) {
    const pending = this.pendingComments();
    if (pending.some((comment) => comment.id === id)) {
      try {
        sessionStorage.setItem(this.pendingKey, JSON.stringify(pending.filter((comment) => comment.id !== id)));
      } catch {
        // Nothing kept, nothing to forget.
      }
    }
  }

  drawPending() {
    for (const pending of this.pendingComments()) {
      this.drawPendingComment(pending);
    }
  }

  rememberAuthor() {
    try {
      if (this.remember.checked) {
        localStorage.setItem(
          REMEMBER_KEY,
          JSON.stringify({ name: this.inputs.author_name.value, email: this.inputs.author_email.value }),
        );
      } else {
        localStorage.removeItem(REMEMBER_KEY);
      }
    } catch {
      // Storage refused: nothing is remembered.
    }
  }

  restoreAuthor() {
    try {
      const saved = JSON.parse(localStorage.getItem(REMEMBER_KEY) || "null");
      if (saved && typeof saved.name === "string" && typeof saved.email === "string") {
        this.inputs.author_name.value = saved.name;
        this.inputs.author_email.value = saved.email;
        this.remember.checked = true;
      }
    } catch {
      // Nothing usable remembered.
    }
  }
}

if (!customElements.get("evidence-comments")) {
  customElements.define("evidence-comments", EvidenceComments);
}

/** @returns {string} the proof an app stored under CONFIRMATION_KEY, or "" */
function storedConfirmation() {
  try {
    return localStorage.getItem(CONFIRMATION_KEY) || "";
  } catch {
    return ""; // storage blocked: the comment is simply not trusted
  }
}

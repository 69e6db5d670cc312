// raidbot sandbox: a small Discord client over the simulator's /sim API.
// Plain DOM: every untrusted string goes through textContent (never innerHTML).
'use strict';

const S = {
  state: null, guildId: null, me: null, channelId: null, dmChannelId: null,
  commands: [], leaves: [], messages: [], unread: new Set(), failures: new Map(),
  dismissed: new Set(), live: true, calls: [], nextCall: 0, pendingFiles: [],
  cmd: null, popupIndex: 0, openSelect: null, busy: false,
  idx: { users: new Map(), members: new Map(), roles: new Map(), channels: new Map() },
};

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

async function api(method, path, body, raw) {
  const opts = { method, headers: {} };
  if (raw) { opts.body = raw.body; opts.headers['content-type'] = raw.type || 'application/octet-stream'; }
  else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers['content-type'] = 'application/json'; }
  let res;
  try { res = await fetch(path, opts); } catch (e) { return { ok: false, status: 0, data: { error: 'The sandbox is not reachable.' } }; }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  return { ok: res.ok, status: res.status, data: data || {} };
}

const colorHex = (c) => (c ? '#' + Number(c).toString(16).padStart(6, '0') : null);
const initials = (name) => (name || '?').trim().slice(0, 1).toUpperCase();

// ---------- state ----------

function guild() { return S.state && S.state.guilds.find((g) => g.id === S.guildId); }

function indexState() {
  const idx = { users: new Map(), members: new Map(), roles: new Map(), channels: new Map() };
  for (const u of S.state.users) idx.users.set(u.id, u);
  const g = guild();
  if (g) {
    for (const m of g.members) idx.members.set(m.user_id, m);
    for (const r of g.roles) idx.roles.set(r.id, r);
    for (const c of g.channels) idx.channels.set(c.id, c);
  }
  S.idx = idx;
}

function userName(id) {
  const m = S.idx.members.get(id);
  if (m) return m.display_name;
  const u = S.idx.users.get(id);
  return u ? u.name : 'unknown-user';
}

function topRole(member) {
  let best = null;
  for (const r of member.roles) {
    const role = S.idx.roles.get(r);
    if (role && (!best || role.position > best.position)) best = role;
  }
  return best;
}

async function loadState() {
  const r = await api('GET', '/sim/state');
  if (!r.ok) return;
  S.state = r.data;
  if (!S.guildId || !S.state.guilds.some((g) => g.id === S.guildId)) S.guildId = S.state.guilds[0] ? S.state.guilds[0].id : null;
  indexState();
  const g = guild();
  if (g && (!S.me || !S.idx.members.has(S.me))) {
    const owner = g.members.find((m) => m.owner);
    const human = g.members.find((m) => !m.bot);
    S.me = (owner || human || {}).user_id || null;
  }
  if (g && (!S.channelId || (!S.idx.channels.has(S.channelId) && S.channelId !== S.dmChannelId))) {
    const text = g.channels.find((c) => c.kind === 'text');
    S.channelId = text ? text.id : null;
  }
}

async function loadCommands() {
  if (!S.guildId) return;
  const r = await api('GET', '/sim/commands?guild_id=' + encodeURIComponent(S.guildId));
  if (!r.ok) return;
  S.commands = r.data.commands || [];
  S.leaves = [];
  for (const c of S.commands) {
    if (c.type && c.type !== 1) continue; // user and message commands are not typed
    const opts = c.options || [];
    const subs = opts.filter((o) => o.type === 1 || o.type === 2);
    if (!subs.length) { S.leaves.push({ path: [c.name], description: c.description || '', options: opts }); continue; }
    for (const s of subs) {
      if (s.type === 1) S.leaves.push({ path: [c.name, s.name], description: s.description || '', options: s.options || [] });
      else for (const ss of s.options || []) {
        S.leaves.push({ path: [c.name, s.name, ss.name], description: ss.description || '', options: ss.options || [] });
      }
    }
  }
  S.leaves.sort((a, b) => a.path.join(' ').localeCompare(b.path.join(' ')));
}

let loadingMessages = false, messagesDirty = false, messagesTimer = null;
function scheduleMessages() {
  if (messagesTimer) return;
  messagesTimer = setTimeout(() => { messagesTimer = null; loadMessages(); }, 40);
}
async function loadMessages() {
  if (loadingMessages) { messagesDirty = true; return; }
  loadingMessages = true;
  try {
    do {
      messagesDirty = false;
      if (!S.channelId) { S.messages = []; break; }
      const ch = S.channelId;
      const r = await api('GET', `/sim/channels/${ch}/messages?limit=100&as=${encodeURIComponent(S.me || '')}`);
      if (ch !== S.channelId) { messagesDirty = true; continue; }
      S.messages = r.ok ? r.data.messages : [];
    } while (messagesDirty);
  } finally { loadingMessages = false; }
  renderMessages();
}

let stateTimer = null;
function scheduleState() {
  if (stateTimer) return;
  stateTimer = setTimeout(async () => { stateTimer = null; await loadState(); renderChrome(); renderMessages(); }, 60);
}

async function loadCalls() {
  const r = await api('GET', '/sim/calls?since=' + S.nextCall);
  if (!r.ok) return;
  for (const c of r.data.calls) addCall(c);
  S.nextCall = r.data.next;
}

async function refreshAll() {
  await loadState();
  await loadCommands();
  await loadCalls();
  renderChrome();
  await loadMessages();
}

// ---------- live updates ----------

function connectEvents() {
  const es = new EventSource('/sim/events');
  let broken = false;
  es.onmessage = (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch (err) { return; }
    onEvent(ev);
  };
  es.addEventListener('resync', () => { if (S.live) refreshAll(); });
  es.onerror = () => { broken = true; };
  es.onopen = () => { if (broken) { broken = false; refreshAll(); } };
}

function onEvent(ev) {
  if (ev.type === 'rest_call') {
    if (ev.index >= S.nextCall) { addCall(ev); S.nextCall = ev.index + 1; }
    return;
  }
  if (!S.live) return;
  switch (ev.type) {
    case 'message_created': case 'message_updated': case 'message_deleted':
      if (ev.channel_id === S.channelId) scheduleMessages();
      else if (ev.type === 'message_created') { S.unread.add(ev.channel_id); renderChannels(); }
      break;
    case 'ephemeral':
      if (ev.user_id === S.me && ev.channel_id === S.channelId) scheduleMessages();
      break;
    case 'member_changed': case 'guild_changed': case 'user_changed':
      scheduleState();
      break;
    case 'commands_changed':
      loadCommands();
      break;
    default: break;
  }
}

// ---------- markdown ----------

const INLINE = new RegExp([
  '(?<code>`+)(?<codetext>[\\s\\S]+?)\\k<code>',
  '\\*\\*(?<bold>[\\s\\S]+?)\\*\\*',
  '__(?<under>[\\s\\S]+?)__',
  '~~(?<strike>[\\s\\S]+?)~~',
  '\\|\\|(?<spoiler>[\\s\\S]+?)\\|\\|',
  '\\*(?<ital>[^*\\s](?:[^*]*?[^*\\s])?)\\*',
  '\\b_(?<ital2>[^_]+?)_\\b',
  '<@!?(?<user>\\d+)>',
  '<@&(?<role>\\d+)>',
  '<#(?<chan>\\d+)>',
  '<t:(?<ts>-?\\d+)(?::(?<tsstyle>[tTdDfFR]))?>',
  '<a?:(?<emoji>\\w+):\\d+>',
  '\\[(?<ltext>[^\\]]+)\\]\\(<?(?<lurl>https?://[^\\s)>]+)>?\\)',
  '(?<url>https?://[^\\s<]+[^\\s<.,:;"\')\\]])',
].join('|'), 'g');

function safeUrl(u) {
  try { const url = new URL(u, location.href); return /^https?:$/.test(url.protocol) ? url.href : null; } catch (e) { return null; }
}

function fmtTimestamp(unix, style) {
  const d = new Date(unix * 1000);
  const o = {
    t: { hour: 'numeric', minute: '2-digit' },
    T: { hour: 'numeric', minute: '2-digit', second: '2-digit' },
    d: { year: 'numeric', month: '2-digit', day: '2-digit' },
    D: { year: 'numeric', month: 'long', day: 'numeric' },
    f: { year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' },
    F: { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit' },
  };
  if (style === 'R') return relative(unix * 1000);
  return new Intl.DateTimeFormat(undefined, o[style] || o.f).format(d);
}

function relative(ms) {
  const diff = (ms - Date.now()) / 1000;
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  const abs = Math.abs(diff);
  const units = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  for (const [unit, secs] of units) {
    if (abs >= secs || unit === 'second') return rtf.format(Math.round(diff / secs), unit);
  }
  return '';
}

function tsNode(unix, style) {
  const el = h('time', { class: 'ts' + (style === 'R' ? ' ts-relative' : ''), datetime: new Date(unix * 1000).toISOString(),
    title: fmtTimestamp(unix, 'F'), 'data-unix': unix, 'data-style': style || 'f' }, fmtTimestamp(unix, style));
  return el;
}

function inline(text) {
  const frag = document.createDocumentFragment();
  let last = 0;
  // A regex of its own: the recursion below for bold and italics must not move our position.
  const re = new RegExp(INLINE.source, 'g');
  let m;
  while ((m = re.exec(text)) !== null) {
    if (m[0] === '') { re.lastIndex += 1; continue; }
    if (m.index > last) frag.append(text.slice(last, m.index));
    const g = m.groups;
    let node;
    if (g.codetext !== undefined) node = h('code', {}, g.codetext);
    else if (g.bold !== undefined) node = h('strong', {}, inline(g.bold));
    else if (g.under !== undefined) node = h('u', {}, inline(g.under));
    else if (g.strike !== undefined) node = h('s', {}, inline(g.strike));
    else if (g.spoiler !== undefined) node = h('span', { class: 'spoiler', onclick: (e) => e.currentTarget.classList.add('shown') }, inline(g.spoiler));
    else if (g.ital !== undefined) node = h('em', {}, inline(g.ital));
    else if (g.ital2 !== undefined) node = h('em', {}, inline(g.ital2));
    else if (g.user !== undefined) node = h('span', { class: 'mention', 'data-user-id': g.user }, '@' + userName(g.user));
    else if (g.role !== undefined) {
      const r = S.idx.roles.get(g.role);
      node = h('span', { class: 'mention', style: r && r.color ? { color: colorHex(r.color) } : null }, '@' + (r ? r.name : 'deleted-role'));
    } else if (g.chan !== undefined) {
      const c = S.idx.channels.get(g.chan);
      node = h('span', { class: 'mention', role: 'link', tabindex: 0, onclick: () => c && selectChannel(c.id) }, '#' + (c ? c.name : 'unknown'));
    } else if (g.ts !== undefined) node = tsNode(Number(g.ts), g.tsstyle);
    else if (g.emoji !== undefined) node = document.createTextNode(':' + g.emoji + ':');
    else if (g.ltext !== undefined) {
      const u = safeUrl(g.lurl);
      node = u ? h('a', { href: u, target: '_blank', rel: 'noopener noreferrer' }, inline(g.ltext)) : document.createTextNode(m[0]);
    } else if (g.url !== undefined) {
      const u = safeUrl(g.url);
      node = u ? h('a', { href: u, target: '_blank', rel: 'noopener noreferrer' }, g.url) : document.createTextNode(m[0]);
    }
    frag.append(node);
    last = re.lastIndex;
  }
  if (last < text.length) frag.append(text.slice(last));
  return frag;
}

function md(text) {
  const frag = document.createDocumentFragment();
  if (!text) return frag;
  const parts = String(text).split(/```(?:[a-zA-Z0-9_+-]*\n)?([\s\S]*?)```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) { frag.append(h('pre', {}, h('code', {}, part))); return; }
    const lines = part.split('\n');
    lines.forEach((line, j) => {
      let mm;
      if ((mm = /^(#{1,3}) (.*)$/.exec(line))) frag.append(h('div', { class: 'md-h' + mm[1].length }, inline(mm[2])));
      else if ((mm = /^-# (.*)$/.exec(line))) frag.append(h('div', { class: 'subtext' }, inline(mm[1])));
      else if ((mm = /^>>?>? ?(.*)$/.exec(line))) frag.append(h('blockquote', {}, inline(mm[1])));
      else if ((mm = /^\s*[-*] (.*)$/.exec(line))) frag.append(h('div', {}, '• ', inline(mm[1])));
      else {
        frag.append(inline(line));
        if (j < lines.length - 1) frag.append('\n');
      }
    });
  });
  return frag;
}

setInterval(() => {
  for (const el of document.querySelectorAll('time.ts-relative')) el.textContent = relative(Number(el.dataset.unix) * 1000);
}, 30000);

// ---------- rendering: chrome ----------

function renderChrome() {
  renderGuilds();
  renderChannels();
  renderMe();
  renderMembers();
  renderHeader();
}

function renderGuilds() {
  const nav = $('guilds');
  nav.replaceChildren(...(S.state ? S.state.guilds : []).map((g) => h('button', {
    class: 'guild-icon', title: g.name, 'data-testid': 'guild', 'data-guild-id': g.id,
    onclick: async () => { S.guildId = g.id; S.channelId = null; await loadState(); await loadCommands(); renderChrome(); loadMessages(); },
  }, initials(g.name))));
  const g = guild();
  $('guild-name').textContent = g ? g.name : 'No server yet';
}

function channelButton(c, extraClass) {
  const icon = { text: '#', voice: '🔊', forum: '💬', thread: '↳', category: '' }[c.kind] || '#';
  const cls = ['channel', extraClass, c.id === S.channelId ? 'active' : '', S.unread.has(c.id) ? 'unread' : ''].filter(Boolean).join(' ');
  return h('button', {
    type: 'button', class: cls, 'data-testid': 'channel', 'data-channel-id': c.id, 'data-channel-name': c.name,
    'aria-current': c.id === S.channelId ? 'page' : null,
    onclick: () => selectChannel(c.id),
  }, h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), c.name, c.archived ? ' (archived)' : '');
}

function renderChannels() {
  const list = $('channel-list');
  const g = guild();
  const kids = [];
  kids.push(h('button', {
    type: 'button', class: 'channel' + (S.channelId && S.channelId === S.dmChannelId ? ' active' : '') + (S.dmChannelId && S.unread.has(S.dmChannelId) ? ' unread' : ''),
    'data-testid': 'channel-dm', onclick: () => selectDm(),
  }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '✉'), 'Direct messages with ', S.state ? userName(S.state.bot_user_id) : 'the bot'));
  if (g) {
    const chans = g.channels;
    const threadsOf = (id) => chans.filter((c) => c.kind === 'thread' && c.parent_id === id);
    const emit = (c) => {
      kids.push(channelButton(c));
      for (const t of threadsOf(c.id)) kids.push(channelButton(t, 'thread'));
    };
    const cats = chans.filter((c) => c.kind === 'category');
    for (const c of chans.filter((c) => c.kind !== 'category' && c.kind !== 'thread' && !cats.some((k) => k.id === c.parent_id))) emit(c);
    for (const cat of cats) {
      kids.push(h('div', { class: 'category' }, cat.name));
      for (const c of chans.filter((c) => c.parent_id === cat.id && c.kind !== 'thread')) emit(c);
    }
    for (const t of chans.filter((c) => c.kind === 'thread' && !chans.some((p) => p.id === c.parent_id))) kids.push(channelButton(t, 'thread'));
  }
  list.replaceChildren(...kids);
}

function renderMe() {
  const sel = $('act-as');
  const g = guild();
  if (!g) { sel.replaceChildren(); return; }
  const members = g.members.filter((m) => !m.bot).slice().sort((a, b) => {
    const pa = (topRole(a) || { position: 0 }).position, pb = (topRole(b) || { position: 0 }).position;
    return pb - pa || a.display_name.localeCompare(b.display_name);
  });
  sel.replaceChildren(...members.map((m) => {
    const r = topRole(m);
    return h('option', { value: m.user_id, 'data-name': m.display_name, selected: m.user_id === S.me }, m.display_name + (m.owner ? ' (owner)' : r ? ' — ' + r.name : ''));
  }));
  sel.value = S.me || '';
  const u = S.idx.users.get(S.me);
  $('dms-open').checked = u ? !u.dms_closed : true;
}

function renderHeader() {
  let title = '';
  if (S.channelId && S.channelId === S.dmChannelId) title = '✉ ' + (S.state ? userName(S.state.bot_user_id) : 'bot');
  else {
    const c = S.idx.channels.get(S.channelId);
    title = c ? ({ voice: '🔊 ', forum: '💬 ', thread: '↳ ' }[c.kind] || '# ') + c.name : '';
  }
  $('channel-title').textContent = title;
  const voice = (S.idx.channels.get(S.channelId) || {}).kind;
  const canWrite = S.channelId && (S.channelId === S.dmChannelId || voice === 'text' || voice === 'thread');
  $('composer').placeholder = canWrite ? `Message ${title}, or type / for commands` : 'Type / for commands';
}

function renderMembers() {
  const pane = $('pane-members');
  const g = guild();
  if (!g) { pane.replaceChildren(); return; }
  const groups = new Map();
  for (const m of g.members) {
    const r = topRole(m);
    const key = m.bot ? 'Bots' : r ? r.name : 'Members';
    if (!groups.has(key)) groups.set(key, { pos: m.bot ? -1 : r ? r.position : 0, list: [] });
    groups.get(key).list.push(m);
  }
  const kids = [];
  for (const [name, grp] of [...groups.entries()].sort((a, b) => b[1].pos - a[1].pos)) {
    kids.push(h('div', { class: 'role-group' }, `${name} — ${grp.list.length}`));
    for (const m of grp.list.sort((a, b) => a.display_name.localeCompare(b.display_name))) {
      const r = topRole(m);
      const roleNames = m.roles.map((id) => (S.idx.roles.get(id) || {}).name).filter(Boolean).join(', ');
      kids.push(h('button', {
        type: 'button', class: 'member' + (m.user_id === S.me ? ' me' : ''), 'data-testid': 'member', 'data-user-id': m.user_id,
        title: 'Edit member', onclick: () => openMemberEditor(m.user_id),
      }, h('span', { class: 'avatar' + (m.bot ? ' bot' : '') }, initials(m.display_name)),
      h('span', { class: 'who' },
        h('div', { style: r && r.color ? { color: colorHex(r.color) } : null }, m.display_name, m.dms_closed ? ' 🔕' : ''),
        h('div', { class: 'sub' }, roleNames || 'no roles'))));
    }
  }
  pane.replaceChildren(...kids);
}

// ---------- rendering: messages ----------

function renderMessages() {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  const list = S.messages.filter((m) => !S.dismissed.has(m.id));
  if (!list.length) {
    box.replaceChildren(h('div', { class: 'empty' }, S.channelId ? 'No messages yet.' : 'Pick a channel.'));
  } else {
    box.replaceChildren(...list.map(renderMessage));
  }
  if (S.openSelect) {
    const el = box.querySelector(`.select[data-key="${CSS.escape(S.openSelect)}"]`);
    if (el) openSelectMenu(el, true); else S.openSelect = null;
  }
  if (atBottom || S.stickBottom) { box.scrollTop = box.scrollHeight; S.stickBottom = false; }
  renderHeader();
}

function renderMessage(m) {
  const kids = [];
  if (m.interaction) {
    kids.push(h('div', { class: 'reply-line' }, '↱ ', h('strong', {}, m.interaction.user_name), m.interaction.type === 2 ? ' used a command' : ' used an interaction'));
  }
  kids.push(h('div', { class: 'avatar' + (m.author.bot ? ' bot' : ''), 'aria-hidden': 'true' }, initials(m.author.name)));
  const body = h('div', { class: 'msg-body' });
  body.append(h('div', { class: 'msg-head' },
    h('span', { class: 'author', 'data-testid': 'author' }, m.author.name),
    m.author.bot ? h('span', { class: 'bot-tag' }, 'APP') : null,
    h('time', { class: 'msg-time', datetime: new Date(m.timestamp_ms).toISOString(), title: new Date(m.timestamp_ms).toLocaleString() },
      fmtTimestamp(m.timestamp_ms / 1000, 'f'))));
  if (m.loading) body.append(h('div', { class: 'thinking', 'data-testid': 'thinking' }, `${m.author.name} is thinking…`));
  if (m.content) {
    body.append(h('div', { class: 'content', 'data-testid': 'content' }, md(m.content), m.edited ? h('span', { class: 'edited', 'data-testid': 'edited' }, '(edited)') : null));
  } else if (m.edited && !m.embeds.length && !m.components.length) body.append(h('span', { class: 'edited', 'data-testid': 'edited' }, '(edited)'));
  if (m.attachments.length) body.append(h('div', { class: 'attachments' }, m.attachments.map(renderAttachment)));
  for (const e of m.embeds) body.append(renderEmbed(e));
  if (m.components.length) body.append(h('div', { class: 'components' }, m.components.map((c) => renderComponent(c, m))));
  if (m.reactions && m.reactions.length) body.append(h('div', { class: 'action-row' }, m.reactions.map((r) => h('span', { class: 'btn btn-2' }, r, ' 1'))));
  const fail = S.failures.get(m.id);
  if (fail) body.append(h('div', { class: 'interaction-error', 'data-testid': 'interaction-error', role: 'alert' }, '⚠ ' + fail));
  if (m.ephemeral) {
    body.append(h('div', { class: 'ephemeral-note', 'data-testid': 'ephemeral-note' }, '👁 Only you can see this • ',
      h('button', { type: 'button', onclick: () => { S.dismissed.add(m.id); renderMessages(); } }, 'Dismiss message')));
  }
  kids.push(body);
  return h('article', {
    class: 'message' + (m.ephemeral ? ' ephemeral' : ''), id: 'message-' + m.id, 'data-testid': 'message', 'data-message-id': m.id,
    'data-ephemeral': m.ephemeral ? 'true' : 'false', 'data-author-id': m.author.id,
  }, kids);
}

function isImage(a) { return (a.content_type || '').startsWith('image/') || /\.(png|jpe?g|gif|webp)$/i.test(a.filename); }

function renderAttachment(a) {
  const url = a.url.startsWith('/') ? a.url : safeUrl(a.url);
  if (isImage(a) && url) return h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'attachment' }, h('img', { src: url, alt: a.filename, loading: 'lazy' }));
  return h('div', { class: 'file', 'data-testid': 'attachment' }, '📄 ', url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', download: a.filename }, a.filename) : a.filename,
    h('span', { class: 'subtext' }, ` ${Math.max(1, Math.round((a.size || 0) / 1024))} KB`));
}

function mediaUrl(m) { return m && m.url ? (m.url.startsWith('/') ? m.url : safeUrl(m.url)) : null; }

function renderEmbed(e) {
  const main = h('div', { class: 'embed-main' });
  if (e.author && e.author.name) {
    const icon = mediaUrl({ url: e.author.icon_url });
    const link = e.author.url && safeUrl(e.author.url);
    main.append(h('div', { class: 'embed-author' }, icon ? h('img', { src: icon, alt: '' }) : null,
      link ? h('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, e.author.name) : e.author.name));
  }
  if (e.title) {
    const link = e.url && safeUrl(e.url);
    main.append(h('div', { class: 'embed-title', 'data-testid': 'embed-title' }, link ? h('a', { href: link, target: '_blank', rel: 'noopener noreferrer' }, inline(e.title)) : inline(e.title)));
  }
  if (e.description) main.append(h('div', { class: 'embed-desc', 'data-testid': 'embed-description' }, md(e.description)));
  if (e.fields && e.fields.length) {
    main.append(h('div', { class: 'embed-fields' }, e.fields.map((f) => h('div', {
      class: 'embed-field' + (f.inline ? ' inline' : ''), 'data-testid': 'embed-field', 'data-field-name': f.name,
    }, h('div', { class: 'embed-field-name' }, inline(f.name || '')), h('div', { class: 'embed-field-value' }, md(f.value || ''))))));
  }
  const img = mediaUrl(e.image);
  if (img) main.append(h('div', { class: 'embed-image' }, h('img', { src: img, alt: '', loading: 'lazy' })));
  const thumb = mediaUrl(e.thumbnail);
  const footerKids = [];
  if (e.footer && e.footer.text) {
    const icon = mediaUrl({ url: e.footer.icon_url });
    if (icon) footerKids.push(h('img', { src: icon, alt: '' }));
    footerKids.push(h('span', { 'data-testid': 'embed-footer' }, e.footer.text));
  }
  if (e.timestamp) {
    const t = Date.parse(e.timestamp);
    if (!Number.isNaN(t)) {
      if (footerKids.length) footerKids.push(' • ');
      footerKids.push(tsNode(Math.floor(t / 1000), 'f'));
    }
  }
  return h('div', {
    class: 'embed', 'data-testid': 'embed', style: { borderLeftColor: colorHex(e.color) || '#1e1f22' },
  }, main, thumb ? h('div', { class: 'embed-thumb' }, h('img', { src: thumb, alt: '' })) : null,
  footerKids.length ? h('div', { class: 'embed-footer' }, footerKids) : null);
}

function emojiText(e) { return e ? (e.id ? `:${e.name}:` : e.name || '') : ''; }

function renderComponent(c, m) {
  switch (c.type) {
    case 1: return h('div', { class: 'action-row' }, (c.components || []).map((x) => renderComponent(x, m)));
    case 2: {
      if (c.style === 5 || c.url) {
        const u = safeUrl(c.url || '');
        return h('a', { class: 'btn btn-5', href: u || '#', target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'link-button' }, emojiText(c.emoji), c.label || '', ' ↗');
      }
      if (c.style === 6) return h('button', { class: 'btn btn-2', disabled: true }, 'Premium');
      return h('button', {
        type: 'button', class: 'btn btn-' + (c.style || 1), disabled: !!c.disabled, 'data-testid': 'button',
        'data-custom-id': c.custom_id, 'data-label': c.label || '',
        onclick: (ev) => press(m, c.custom_id, ev.currentTarget),
      }, emojiText(c.emoji) ? h('span', {}, emojiText(c.emoji)) : null, c.label || '');
    }
    case 3: case 5: case 6: case 7: case 8: return renderSelect(c, m);
    case 9: return h('div', { class: 'v2-section' }, h('div', {}, (c.components || []).map((x) => renderComponent(x, m))), c.accessory ? renderComponent(c.accessory, m) : null);
    case 10: return h('div', { class: 'v2-text', 'data-testid': 'text-display' }, md(c.content || ''));
    case 11: { const u = mediaUrl(c.media); return u ? h('div', { class: 'v2-thumb' }, h('img', { src: u, alt: c.description || '' })) : null; }
    case 12: return h('div', { class: 'v2-gallery' }, (c.items || []).map((it) => { const u = mediaUrl(it.media); return u ? h('img', { src: u, alt: it.description || '' }) : null; }));
    case 13: return h('div', { class: 'file' }, '📄 ', (c.file && c.file.url) || 'file');
    case 14: return c.divider === false ? h('div', { style: { height: c.spacing === 2 ? '16px' : '8px' } }) : h('hr', { class: 'v2-sep' });
    case 17: return h('div', { class: 'v2-container', style: c.accent_color ? { borderLeftColor: colorHex(c.accent_color) } : null },
      (c.components || []).map((x) => renderComponent(x, m)));
    default: return null;
  }
}

function selectOptions(c) {
  const g = guild();
  if (c.type === 3) return (c.options || []).map((o) => ({ value: o.value, label: o.label, description: o.description, emoji: emojiText(o.emoji), def: !!o.default }));
  const out = [];
  if (!g) return out;
  if (c.type === 5 || c.type === 7) for (const m of g.members) out.push({ value: m.user_id, label: m.display_name, description: m.bot ? 'bot' : '' });
  if (c.type === 6 || c.type === 7) for (const r of g.roles) if (!r.everyone) out.push({ value: r.id, label: '@' + r.name });
  if (c.type === 8) {
    const types = c.channel_types;
    for (const ch of g.channels) if (ch.kind !== 'category' && (!types || types.includes(ch.type))) out.push({ value: ch.id, label: '#' + ch.name });
  }
  return out;
}

function renderSelect(c, m) {
  const key = m.id + ':' + c.custom_id;
  const multi = (c.max_values || 1) > 1;
  const el = h('div', {
    class: 'select', 'data-testid': 'select', 'data-custom-id': c.custom_id, 'data-key': key,
    'data-multi': multi ? 'true' : 'false',
  });
  const defaults = selectOptions(c).filter((o) => o.def).map((o) => o.label);
  const trigger = h('button', {
    type: 'button', class: 'select-trigger', disabled: !!c.disabled, 'aria-haspopup': 'listbox', 'aria-expanded': 'false',
    'data-testid': 'select-trigger',
    onclick: () => { if (S.openSelect === key) { S.openSelect = null; renderMessages(); } else { S.openSelect = key; openSelectMenu(el); } },
  }, h('span', {}, defaults.length ? defaults.join(', ') : c.placeholder || 'Make a selection'), h('span', { 'aria-hidden': 'true' }, '▾'));
  el.append(trigger);
  el._component = c;
  el._message = m;
  return el;
}

function openSelectMenu(el, keepFocus) {
  document.querySelectorAll('.select-menu').forEach((x) => x.remove());
  const c = el._component, m = el._message;
  const multi = (c.max_values || 1) > 1;
  const chosen = new Set();
  const menu = h('div', { class: 'select-menu', role: 'listbox', 'aria-multiselectable': multi ? 'true' : null, 'data-testid': 'select-menu' });
  const all = selectOptions(c);
  const listBox = h('div', {});
  const fill = (filter) => {
    const f = (filter || '').toLowerCase();
    listBox.replaceChildren(...all.filter((o) => !f || o.label.toLowerCase().includes(f)).slice(0, 100).map((o) => {
      const opt = h('div', {
        class: 'select-option', role: 'option', tabindex: 0, 'data-testid': 'select-option', 'data-value': o.value, 'data-label': o.label,
        'aria-selected': chosen.has(o.value) ? 'true' : 'false',
        onclick: () => pick(o.value, opt),
        onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(o.value, opt); } },
      }, multi ? h('input', { type: 'checkbox', tabindex: -1, checked: chosen.has(o.value) }) : null,
      o.emoji ? h('span', {}, o.emoji) : null, h('span', {}, o.label, o.description ? h('small', {}, o.description) : null));
      return opt;
    }));
  };
  const pick = (value, opt) => {
    if (!multi) { S.openSelect = null; menu.remove(); selectValues(m, c.custom_id, [value], el); return; }
    if (chosen.has(value)) chosen.delete(value); else chosen.add(value);
    opt.setAttribute('aria-selected', chosen.has(value) ? 'true' : 'false');
    const box = opt.querySelector('input'); if (box) box.checked = chosen.has(value);
  };
  if (c.type !== 3) {
    menu.append(h('input', { class: 'select-search', type: 'text', placeholder: 'Search', 'data-testid': 'select-search', oninput: (e) => fill(e.target.value) }));
  }
  fill('');
  menu.append(listBox);
  if (multi) {
    menu.append(h('button', {
      type: 'button', class: 'btn btn-1 select-done', 'data-testid': 'select-done',
      onclick: () => { S.openSelect = null; menu.remove(); selectValues(m, c.custom_id, [...chosen], el); },
    }, 'Done'));
  }
  el.append(menu);
  const t = el.querySelector('.select-trigger'); if (t) t.setAttribute('aria-expanded', 'true');
  if (!keepFocus) { const first = menu.querySelector('input, .select-option'); if (first) first.focus(); }
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && S.openSelect) { S.openSelect = null; renderMessages(); }
});
document.addEventListener('click', (e) => {
  if (S.openSelect && !e.target.closest('.select')) { S.openSelect = null; document.querySelectorAll('.select-menu').forEach((x) => x.remove()); }
});

// ---------- acting ----------

function where() { return { guild_id: S.guildId, channel_id: S.channelId, user_id: S.me }; }

async function interactionDone(m, r) {
  if (r.data && r.data.error) {
    // Nothing changed: show the failure under the message as it is on screen.
    S.failures.set(m.id, r.data.error);
    renderMessages();
    return;
  }
  S.failures.delete(m.id);
  if (r.ok && r.data.outcome === 'modal') openModal(r.data.modal);
  await loadMessages();
}

async function press(m, customId, btn) {
  if (btn) { btn.disabled = true; btn.classList.add('busy'); }
  S.failures.delete(m.id);
  const r = await api('POST', '/sim/act/press', { ...where(), channel_id: m.channel_id, message_id: m.id, custom_id: customId });
  await interactionDone(m, r);
}

async function selectValues(m, customId, values, el) {
  if (el) el.classList.add('busy');
  S.failures.delete(m.id);
  const r = await api('POST', '/sim/act/select', { ...where(), channel_id: m.channel_id, message_id: m.id, custom_id: customId, values });
  await interactionDone(m, r);
}

function showComposerError(text) {
  const el = $('composer-error');
  el.textContent = text || '';
  el.hidden = !text;
}

async function afterCommand(r) {
  if (!r.ok) { showComposerError(r.data.error || `Failed (${r.status})`); return false; }
  if (r.data.error) showComposerError(r.data.error); else showComposerError('');
  if (r.data.outcome === 'modal') openModal(r.data.modal);
  S.stickBottom = true;
  await loadMessages();
  return true;
}

async function sendMessage() {
  const text = $('composer').value;
  if (!text.trim() && !S.pendingFiles.length) return;
  if (text.startsWith('/') && !S.pendingFiles.length) { await runTypedCommand(text); return; }
  const r = await api('POST', '/sim/act/message', { user_id: S.me, channel_id: S.channelId, content: text, attachment_ids: S.pendingFiles.map((f) => f.id) });
  if (!r.ok) { showComposerError(r.data.error || 'Could not send'); return; }
  showComposerError('');
  $('composer').value = '';
  S.pendingFiles = [];
  renderPendingFiles();
  S.stickBottom = true;
  await loadMessages();
}

/** `/name [sub] key:value key:"two words"` typed by hand (keyboard users and the tests). */
async function runTypedCommand(text) {
  const tokens = [];
  const re = /(\w[\w-]*):(?:"([^"]*)"|(\S*))|(\S+)/g;
  let m;
  const body = text.slice(1);
  while ((m = re.exec(body)) !== null) tokens.push(m[4] !== undefined ? { word: m[4] } : { name: m[1], value: m[2] !== undefined ? m[2] : m[3] });
  if (!tokens.length || !tokens[0].word) { showComposerError('Type a command name after /.'); return; }
  const path = [];
  while (tokens.length && tokens[0].word) path.push(tokens.shift().word);
  const leaf = S.leaves.find((l) => l.path.join(' ') === path.join(' '));
  const leafOpts = tokens.map((t) => ({ name: t.name, value: resolveTypedValue(leaf, t.name, t.value) }));
  const options = nestOptions(path, leafOpts);
  const r = await api('POST', '/sim/act/command', { ...where(), name: path[0], options });
  if (await afterCommand(r)) { $('composer').value = ''; closePopup(); }
}

function resolveTypedValue(leaf, name, value) {
  const o = leaf && leaf.options.find((x) => x.name === name);
  if (!o || ![6, 7, 8, 9].includes(o.type)) return value;
  const g = guild(); const v = String(value).replace(/^[@#]/, '').toLowerCase();
  if (!g) return value;
  if (o.type === 6 || o.type === 9) { const mm = g.members.find((x) => x.display_name.toLowerCase() === v || x.name.toLowerCase() === v); if (mm) return mm.user_id; }
  if (o.type === 8 || o.type === 9) { const r = g.roles.find((x) => x.name.toLowerCase() === v); if (r) return r.id; }
  if (o.type === 7) { const c = g.channels.find((x) => x.name.toLowerCase() === v); if (c) return c.id; }
  return value;
}

function nestOptions(path, leafOpts) {
  let opts = leafOpts;
  for (let i = path.length - 1; i >= 1; i--) opts = [{ name: path[i], options: opts }];
  return opts;
}

// ---------- slash-command box ----------

function popupEntries(text) {
  const q = text.slice(1).toLowerCase();
  return S.leaves.filter((l) => l.path.join(' ').startsWith(q) || (q.length > 1 && l.path.join(' ').includes(q))).slice(0, 25);
}

function renderPopup() {
  const text = $('composer').value;
  const pop = $('command-popup');
  if (S.cmd || !text.startsWith('/') || /\s\S+:/.test(text) || text.includes('\n')) { closePopup(); return; }
  const entries = popupEntries(text.split(' ').length > 1 && !S.leaves.some((l) => l.path.join(' ').startsWith(text.slice(1).toLowerCase())) ? text.split(' ')[0] : text);
  if (!entries.length) {
    pop.replaceChildren(h('div', { class: 'popup-head' }, 'No matching commands'));
    pop._entries = null;
    pop.hidden = false;
    return;
  }
  S.popupIndex = Math.min(S.popupIndex, entries.length - 1);
  pop.replaceChildren(h('div', { class: 'popup-head' }, 'Commands matching ' + text), ...entries.map((l, i) => h('div', {
    class: 'command-item' + (i === S.popupIndex ? ' active' : ''), role: 'option', 'aria-selected': i === S.popupIndex ? 'true' : 'false',
    'data-testid': 'command-item', 'data-command': l.path.join(' '),
    onmousedown: (e) => { e.preventDefault(); chooseCommand(l); },
  }, h('span', { class: 'name' }, '/' + l.path.join(' ')),
  h('span', { class: 'opts' }, l.options.filter((o) => o.required).map((o) => o.name).join(' ')),
  h('span', { class: 'desc' }, l.description))));
  pop.hidden = false;
  pop._entries = entries;
}

// Leaving a box closes its list 150 ms later (so a click on an entry lands first), unless
// the box has the focus again by then: typing right after cancelling a command keeps it.
function closeOnLeave(box, close) {
  box.addEventListener('blur', () => setTimeout(() => { if (document.activeElement !== box) close(); }, 150));
}

function closePopup() { const p = $('command-popup'); p.hidden = true; p._entries = null; S.popupIndex = 0; }

function chooseCommand(leaf) {
  closePopup();
  showComposerError('');
  S.cmd = { leaf, files: {}, acSeq: 0 };
  $('composer').value = '';
  renderCommandForm();
  const first = $('command-form').querySelector('[data-option]');
  if (first) first.focus(); else $('send').focus();
}

function cancelCommand() {
  S.cmd = null;
  const f = $('command-form');
  f.hidden = true;
  f.replaceChildren();
  $('composer').hidden = false;
  $('composer').focus();
}

function optionInput(o) {
  const g = guild();
  const base = { 'data-option': o.name, 'data-testid': 'option-' + o.name, id: 'option-' + o.name, name: o.name, required: !!o.required };
  const sel = (items) => h('select', base, h('option', { value: '' }, o.required ? 'Choose…' : '(none)'), items);
  if (o.choices && o.choices.length && !o.autocomplete) return sel(o.choices.map((c) => h('option', { value: String(c.value) }, c.name)));
  switch (o.type) {
    case 5: return sel([h('option', { value: 'true' }, 'True'), h('option', { value: 'false' }, 'False')]);
    case 6: return sel(((g && g.members) || []).map((m) => h('option', { value: m.user_id }, m.display_name)));
    case 8: return sel(((g && g.roles) || []).filter((r) => !r.everyone).map((r) => h('option', { value: r.id }, '@' + r.name)));
    case 9: return sel([h('optgroup', { label: 'Members' }, ((g && g.members) || []).map((m) => h('option', { value: m.user_id }, m.display_name))),
      h('optgroup', { label: 'Roles' }, ((g && g.roles) || []).filter((r) => !r.everyone).map((r) => h('option', { value: r.id }, '@' + r.name)))]);
    case 7: return sel(((g && g.channels) || []).filter((c) => c.kind !== 'category' && (!o.channel_types || o.channel_types.includes(c.type))).map((c) => h('option', { value: c.id }, '#' + c.name)));
    case 11: return h('input', { ...base, type: 'file', onchange: (e) => uploadOptionFile(o.name, e.target) });
    default: {
      const inp = h('input', {
        ...base, type: 'text', autocomplete: 'off', inputmode: o.type === 4 || o.type === 10 ? 'decimal' : null,
        maxlength: o.max_length || null,
        placeholder: o.type === 4 ? 'a whole number' : o.type === 10 ? 'a number' : o.description || '',
      });
      if (o.autocomplete) {
        inp.setAttribute('aria-autocomplete', 'list');
        inp.addEventListener('input', () => { delete inp.dataset.value; scheduleAutocomplete(o.name); });
        inp.addEventListener('focus', () => scheduleAutocomplete(o.name));
        closeOnLeave(inp, () => closeAutocomplete(o.name));
      }
      return inp;
    }
  }
}

function renderCommandForm() {
  const f = $('command-form');
  const leaf = S.cmd.leaf;
  const opts = leaf.options.slice().sort((a, b) => (b.required ? 1 : 0) - (a.required ? 1 : 0));
  f.replaceChildren(
    h('div', { class: 'command-chip' }, h('span', { class: 'name', 'data-testid': 'command-chip' }, '/' + leaf.path.join(' ')),
      h('span', { class: 'desc' }, leaf.description),
      h('button', { type: 'button', title: 'Cancel (Esc)', 'aria-label': 'Cancel command', 'data-testid': 'command-cancel', onclick: cancelCommand }, '✕')),
    opts.length ? h('div', { class: 'options-grid' }, opts.map((o) => h('div', { class: 'field', 'data-field': o.name },
      h('label', { for: 'option-' + o.name }, h('b', {}, o.name), o.required ? h('span', { class: 'req' }, ' *') : null, o.description ? ' — ' + o.description : ''),
      optionInput(o)))) : h('div', { class: 'subtext' }, 'No options. Press Enter to send.'),
  );
  f.hidden = false;
}

async function uploadOptionFile(name, input) {
  const file = input.files && input.files[0];
  if (!file) return;
  const r = await api('POST', '/sim/upload?filename=' + encodeURIComponent(file.name), undefined, { body: file, type: file.type });
  if (!r.ok) { showComposerError(r.data.error || 'Upload failed'); return; }
  if (S.cmd) S.cmd.files[name] = r.data.id;
}

function collectOptions(focused) {
  const f = $('command-form');
  const out = [];
  for (const el of f.querySelectorAll('[data-option]')) {
    const name = el.dataset.option;
    let value;
    if (el.type === 'file') value = S.cmd.files[name] || '';
    else value = el.dataset.value !== undefined ? el.dataset.value : el.value;
    if (name === focused) { out.push({ name, value: el.value, focused: true }); continue; }
    if (value === '') continue;
    out.push({ name, value });
  }
  return nestOptions(S.cmd.leaf.path, out);
}

async function submitCommand() {
  if (!S.cmd || S.busy) return;
  S.busy = true;
  const send = $('send'); send.disabled = true;
  try {
    const leaf = S.cmd.leaf;
    const r = await api('POST', '/sim/act/command', { ...where(), name: leaf.path[0], options: collectOptions(null) });
    if (r.ok) cancelCommand();
    await afterCommand(r);
  } finally { S.busy = false; send.disabled = false; }
}

const acTimers = {};
function scheduleAutocomplete(name) {
  clearTimeout(acTimers[name]);
  acTimers[name] = setTimeout(() => runAutocomplete(name), 200);
}

async function runAutocomplete(name) {
  if (!S.cmd) return;
  const seq = ++S.cmd.acSeq;
  const leaf = S.cmd.leaf;
  const r = await api('POST', '/sim/act/autocomplete', { ...where(), name: leaf.path[0], options: collectOptions(name) });
  if (!S.cmd || seq !== S.cmd.acSeq) return;
  const field = $('command-form').querySelector(`.field[data-field="${CSS.escape(name)}"]`);
  const input = field && field.querySelector('[data-option]');
  if (!field || document.activeElement !== input) return;
  closeAutocomplete(name);
  const choices = (r.ok && r.data.choices) || [];
  const list = h('div', { class: 'ac-list', role: 'listbox', 'data-testid': 'autocomplete' });
  if (!r.ok || r.data.error) list.append(h('div', { class: 'ac-note' }, (r.data && r.data.error) || 'Loading options failed'));
  else if (!choices.length) list.append(h('div', { class: 'ac-note' }, 'No options match your search.'));
  choices.forEach((c, i) => list.append(h('div', {
    class: 'ac-item' + (i === 0 ? ' active' : ''), role: 'option', 'data-testid': 'autocomplete-item', 'data-value': String(c.value), 'data-name': c.name,
    onmousedown: (e) => { e.preventDefault(); pickChoice(input, c); },
  }, c.name)));
  field.append(list);
}

function pickChoice(input, c) {
  input.value = c.name;
  input.dataset.value = String(c.value);
  closeAutocomplete(input.dataset.option);
  const fields = [...$('command-form').querySelectorAll('[data-option]')];
  const next = fields[fields.indexOf(input) + 1];
  (next || $('send')).focus();
}

function closeAutocomplete(name) {
  const field = $('command-form').querySelector(`.field[data-field="${CSS.escape(name)}"]`);
  if (field) field.querySelectorAll('.ac-list').forEach((x) => x.remove());
}

$('command-form').addEventListener('keydown', (e) => {
  const input = e.target;
  const list = input.closest && input.closest('.field') && input.closest('.field').querySelector('.ac-list');
  if (list && ['ArrowDown', 'ArrowUp', 'Enter', 'Tab'].includes(e.key)) {
    const items = [...list.querySelectorAll('.ac-item')];
    let i = items.findIndex((x) => x.classList.contains('active'));
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (items[i]) items[i].classList.remove('active');
      i = (i + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % Math.max(items.length, 1);
      if (items[i]) { items[i].classList.add('active'); items[i].scrollIntoView({ block: 'nearest' }); }
      return;
    }
    if (items[i] && (e.key === 'Enter' || e.key === 'Tab')) {
      e.preventDefault();
      pickChoice(input, { name: items[i].dataset.name, value: items[i].dataset.value });
      return;
    }
  }
  if (e.key === 'Escape') { e.preventDefault(); if (list) list.remove(); else cancelCommand(); return; }
  if (e.key === 'Enter' && input.tagName !== 'TEXTAREA') { e.preventDefault(); submitCommand(); }
});
$('command-form').addEventListener('submit', (e) => { e.preventDefault(); submitCommand(); });

$('composer').addEventListener('input', () => { S.popupIndex = 0; renderPopup(); showComposerError(''); });
$('composer').addEventListener('keydown', (e) => {
  const pop = $('command-popup');
  const entries = !pop.hidden && pop._entries;
  if (entries && entries.length) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      S.popupIndex = (S.popupIndex + (e.key === 'ArrowDown' ? 1 : -1) + entries.length) % entries.length;
      renderPopup();
      return;
    }
    if (e.key === 'Tab' || (e.key === 'Enter' && !e.shiftKey)) {
      const typed = $('composer').value.trim().slice(1);
      const exact = entries.find((l) => l.path.join(' ') === typed);
      if (e.key === 'Tab' || !exact || entries.length === 1 || exact === entries[S.popupIndex]) {
        e.preventDefault();
        chooseCommand(exact && e.key === 'Enter' ? exact : entries[S.popupIndex]);
        return;
      }
    }
  }
  if (e.key === 'Escape') { closePopup(); return; }
  if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); sendMessage(); }
});
closeOnLeave($('composer'), closePopup);
$('send').addEventListener('click', () => (S.cmd ? submitCommand() : sendMessage()));
$('attach').addEventListener('click', () => $('file-input').click());
$('file-input').addEventListener('change', async (e) => {
  for (const file of e.target.files) {
    const r = await api('POST', '/sim/upload?filename=' + encodeURIComponent(file.name), undefined, { body: file, type: file.type });
    if (r.ok) S.pendingFiles.push(r.data); else showComposerError(r.data.error || 'Upload failed');
  }
  e.target.value = '';
  renderPendingFiles();
});

function renderPendingFiles() {
  $('pending-files').replaceChildren(...S.pendingFiles.map((f, i) => h('span', { class: 'pending-file', 'data-testid': 'pending-file' }, '📎 ', f.filename, ' ',
    h('button', { type: 'button', 'aria-label': 'Remove', onclick: () => { S.pendingFiles.splice(i, 1); renderPendingFiles(); } }, '✕'))));
}

// ---------- modals and dialogs ----------

function openDialog(...kids) {
  $('dialog').replaceChildren(...kids);
  $('overlay').hidden = false;
  const first = $('dialog').querySelector('input, textarea, select, button');
  if (first) first.focus();
}
function closeDialog() { $('overlay').hidden = true; $('dialog').replaceChildren(); }
$('overlay').addEventListener('keydown', (e) => { if (e.key === 'Escape') closeDialog(); });

function openModal(modal) {
  const err = h('div', { class: 'error', 'data-testid': 'modal-error', role: 'alert' });
  const form = h('form', { 'data-testid': 'modal', 'data-custom-id': modal.custom_id });
  form.append(h('h2', {}, modal.title));
  for (const i of modal.inputs) {
    const attrs = {
      id: 'modal-input-' + i.custom_id, 'data-testid': 'modal-input-' + i.custom_id, 'data-input': i.custom_id,
      required: i.required, maxlength: i.max_length || null, placeholder: i.placeholder || null,
    };
    const input = i.style === 2 ? h('textarea', { ...attrs, rows: 4 }) : h('input', { ...attrs, type: 'text' });
    input.value = i.value || '';
    form.append(h('div', { class: 'field' }, h('label', { for: attrs.id }, h('b', {}, i.label || i.custom_id), i.required ? h('span', { class: 'req' }, ' *') : null), input));
  }
  form.append(err, h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'btn btn-2', 'data-testid': 'modal-cancel', onclick: closeDialog }, 'Cancel'),
    h('button', { type: 'submit', class: 'btn btn-1', 'data-testid': 'modal-submit' }, 'Submit')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const fields = {};
    for (const el of form.querySelectorAll('[data-input]')) fields[el.dataset.input] = el.value;
    const r = await api('POST', '/sim/act/modal', { user_id: S.me, interaction_id: modal.interaction_id, fields });
    if (!r.ok) { err.textContent = r.data.error || 'Something went wrong.'; return; }
    closeDialog();
    if (r.data.error) showComposerError(r.data.error);
    if (r.data.outcome === 'modal') openModal(r.data.modal);
    await loadMessages();
  });
  openDialog(form);
}

function openMemberEditor(userId) {
  const g = guild();
  const m = S.idx.members.get(userId);
  const me = S.idx.members.get(S.me);
  if (!g || !m || !me) return;
  const canRoles = me.manage_roles;
  const err = h('div', { class: 'error', 'data-testid': 'member-error', role: 'alert' });
  const nick = h('input', { type: 'text', 'data-testid': 'member-nick', maxlength: 32, value: m.nick || '', placeholder: m.name });
  const dms = h('input', { type: 'checkbox', 'data-testid': 'member-dms-closed', checked: m.dms_closed });
  const boxes = g.roles.filter((r) => !r.everyone && !r.managed).map((r) => {
    const box = h('input', { type: 'checkbox', 'data-testid': 'role-toggle', 'data-role-id': r.id, 'data-role-name': r.name, checked: m.roles.includes(r.id), disabled: !canRoles });
    return h('label', { class: 'check' }, box, h('span', { class: 'role-dot', style: { background: colorHex(r.color) || '#99aab5' } }), r.name);
  });
  const save = async () => {
    const body = { actor_id: S.me };
    if (canRoles) {
      const roles = [...$('dialog').querySelectorAll('[data-testid="role-toggle"]')].filter((b) => b.checked).map((b) => b.dataset.roleId);
      const managed = m.roles.filter((id) => (S.idx.roles.get(id) || {}).managed);
      body.roles = roles.concat(managed);
    }
    if ((nick.value || '') !== (m.nick || '')) body.nick = nick.value;
    const r = await api('PATCH', `/sim/members/${g.id}/${m.user_id}`, body);
    if (!r.ok) { err.textContent = r.data.error || 'Could not save.'; return; }
    if (dms.checked !== m.dms_closed) await api('PATCH', `/sim/users/${m.user_id}`, { dms_closed: dms.checked });
    closeDialog();
    await loadState(); renderChrome(); renderMessages();
  };
  openDialog(
    h('h2', {}, 'Edit ', m.display_name),
    h('div', { class: 'subtext' }, canRoles ? `As ${me.display_name}, who may manage roles.` : `${me.display_name} cannot manage roles; switch to an administrator.`),
    h('div', { class: 'field' }, h('label', {}, h('b', {}, 'Nickname')), nick),
    h('div', { class: 'field' }, h('label', {}, h('b', {}, 'Roles')), h('div', { class: 'role-list' }, boxes)),
    h('label', { class: 'check' }, dms, 'DMs closed (the bot cannot DM this member)'),
    err,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn btn-2', onclick: () => { S.me = m.user_id; closeDialog(); onMeChanged(); } }, 'Act as this member'),
      h('button', { type: 'button', class: 'btn btn-2', onclick: closeDialog }, 'Cancel'),
      h('button', { type: 'button', class: 'btn btn-1', 'data-testid': 'member-save', onclick: save }, 'Save')),
  );
}

function openNewMember() {
  const g = guild();
  if (!g) return;
  const err = h('div', { class: 'error', role: 'alert' });
  const name = h('input', { type: 'text', 'data-testid': 'new-member-name', maxlength: 32, placeholder: 'username' });
  const boxes = g.roles.filter((r) => !r.everyone && !r.managed).map((r) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', 'data-role-id': r.id }), r.name));
  const create = async () => {
    const role_ids = [...$('dialog').querySelectorAll('input[data-role-id]')].filter((b) => b.checked).map((b) => b.dataset.roleId);
    const r = await api('POST', '/sim/members', { guild_id: g.id, name: name.value, role_ids });
    if (!r.ok) { err.textContent = r.data.error || 'Could not create.'; return; }
    closeDialog();
    S.me = r.data.user_id;
    await loadState();
    onMeChanged();
  };
  name.addEventListener('keydown', (e) => { if (e.key === 'Enter') create(); });
  openDialog(h('h2', {}, 'A new member joins'), h('div', { class: 'field' }, h('label', {}, h('b', {}, 'Name')), name),
    h('div', { class: 'field' }, h('label', {}, h('b', {}, 'Roles')), h('div', { class: 'role-list' }, boxes)), err,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-2', onclick: closeDialog }, 'Cancel'),
      h('button', { type: 'button', class: 'btn btn-3', 'data-testid': 'new-member-create', onclick: create }, 'Create')));
}

// ---------- navigation ----------

function saveLocation() {
  const p = new URLSearchParams();
  if (S.me) p.set('as', S.me);
  if (S.channelId === S.dmChannelId && S.dmChannelId) p.set('dm', '1'); else if (S.channelId) p.set('channel', S.channelId);
  history.replaceState(null, '', '?' + p.toString());
}

async function selectChannel(id) {
  if (S.cmd) cancelCommand();
  S.channelId = id;
  S.unread.delete(id);
  S.openSelect = null;
  S.stickBottom = true;
  saveLocation();
  renderChannels();
  renderHeader();
  await loadMessages();
}

async function selectDm() {
  if (!S.me) return;
  const r = await api('GET', `/sim/users/${S.me}/dm`);
  if (!r.ok) { showComposerError(r.data.error || 'No DMs'); return; }
  S.dmChannelId = r.data.channel_id;
  await selectChannel(S.dmChannelId);
}

async function onMeChanged() {
  const wasDm = S.channelId && S.channelId === S.dmChannelId;
  S.dmChannelId = null;
  S.failures.clear();
  if (S.cmd) cancelCommand();
  renderChrome();
  if (wasDm) await selectDm(); else { saveLocation(); await loadMessages(); }
}

$('act-as').addEventListener('change', (e) => { S.me = e.target.value; onMeChanged(); });
$('dms-open').addEventListener('change', async (e) => {
  await api('PATCH', `/sim/users/${S.me}`, { dms_closed: !e.target.checked });
});
$('new-member-button').addEventListener('click', openNewMember);
$('live-toggle').addEventListener('change', (e) => { S.live = e.target.checked; if (S.live) refreshAll(); });

for (const b of document.querySelectorAll('#panel-tabs button')) {
  b.addEventListener('click', () => showTab(b.dataset.tab));
}
function showTab(tab) {
  for (const b of document.querySelectorAll('#panel-tabs button')) b.classList.toggle('active', b.dataset.tab === tab);
  $('pane-members').hidden = tab !== 'members';
  $('pane-log').hidden = tab !== 'log';
  $('pane-realmeye').hidden = tab !== 'realmeye';
  if (tab === 'realmeye') loadRealmeye();
  if (tab === 'log') { const p = $('pane-log'); p.scrollTop = p.scrollHeight; }
}

// ---------- event log ----------

function addCall(c) {
  const log = $('event-log');
  const pane = $('pane-log');
  const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
  const cls = c.status === 429 ? 's-429' : c.status >= 400 ? 's-err' : 's-ok';
  const route = c.route.replace(/^[A-Z]+ /, '');
  log.append(h('li', { 'data-testid': 'rest-call', 'data-method': c.method, 'data-status': c.status, title: c.path },
    h('span', { class: 't' }, new Date(c.at_ms).toLocaleTimeString()),
    h('span', {}, h('span', { class: 'm' }, c.method), ' ', route),
    h('span', { class: cls }, String(c.status))));
  while (log.childElementCount > 500) log.firstElementChild.remove();
  S.callCount = (S.callCount || 0) + 1;
  $('log-count').textContent = `(${S.callCount})`;
  if (atBottom) pane.scrollTop = pane.scrollHeight;
}

// ---------- RealmEye stub (served by `raidbot sandbox`) ----------

async function loadRealmeye() {
  const pane = $('pane-realmeye');
  const r = await api('GET', '/sandbox/realmeye');
  if (!r.ok) {
    pane.replaceChildren(h('div', { class: 'note', 'data-testid': 'realmeye-unavailable' },
      r.status === 404 ? 'The RealmEye stub is not running here. `raidbot sandbox` serves it; this page alone only shows Discord.'
        : 'RealmEye pages could not be loaded.'));
    return;
  }
  const players = Array.isArray(r.data) ? r.data : [];
  pane.replaceChildren(h('div', { class: 'note' }, 'Player pages the bot reads for RealmEye verification. Put the code the bot DMs you in a description line.'),
    ...players.map((p) => {
      const lines = h('textarea', { 'data-testid': 'realmeye-lines', 'data-ign': p.ign, rows: 3 });
      lines.value = (p.lines || []).join('\n');
      const priv = h('input', { type: 'checkbox', checked: !!p.private });
      const status = h('span', { class: 'subtext' });
      return h('div', { class: 're-player', 'data-testid': 'realmeye-player', 'data-ign': p.ign }, h('strong', {}, p.ign), lines,
        h('label', { class: 'check' }, priv, 'Private profile'),
        h('div', {}, h('button', {
          type: 'button', class: 'btn btn-1', 'data-testid': 'realmeye-save',
          onclick: async () => {
            const res = await api('PUT', '/sandbox/realmeye/' + encodeURIComponent(p.ign), { lines: lines.value.split('\n').slice(0, 3), private: priv.checked });
            status.textContent = res.ok ? ' Saved.' : ' ' + ((res.data && res.data.error) || 'Not saved.');
          },
        }, 'Save'), status));
    }));
}

async function loadInfo() {
  const r = await api('GET', '/sandbox/info');
  if (r.ok && r.data && r.data.hint) $('sandbox-hint').textContent = r.data.hint;
  if (r.ok && r.data && r.data.guild_id) S.guildId = r.data.guild_id;
  const link = $('dashboard-link');
  if (link && r.ok && r.data && r.data.dashboard_url) {
    link.href = r.data.dashboard_url;
    link.hidden = false;
  }
}

// ---------- start ----------

(async function start() {
  const p = new URLSearchParams(location.search);
  S.me = p.get('as');
  S.channelId = p.get('channel');
  showTab('members');
  connectEvents();
  await loadInfo();
  await loadState();
  await loadCommands();
  await loadCalls();
  renderChrome();
  if (p.get('dm') === '1') await selectDm(); else { saveLocation(); await loadMessages(); }
  document.body.dataset.ready = 'true';
})();

// Gyre's one script. Pages work without it; it adds live updates where a page asks for them.
// Log text and names only ever reach the page through textContent and created elements, never
// through innerHTML: a log line is data, whatever markup it holds.
'use strict';

(function () {
  const FINAL = ['success', 'failed', 'canceled', 'infrastructure_failed', 'not_run', 'unauthorized'];

  function setState(badge, state) {
    if (badge.textContent === state) return false;
    for (const name of [...badge.classList]) if (name.startsWith('state-')) badge.classList.remove(name);
    badge.classList.add('state-' + state);
    badge.textContent = state;
    return true;
  }

  // Pipeline and job pages: poll the pipeline's status every 2 s and update the state badges.
  function pollStatus(container) {
    const url = container.getAttribute('data-poll');
    const reloadOn = container.getAttribute('data-reload-on-change');
    let timer;
    async function poll() {
      let status;
      try {
        const response = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
        if (!response.ok) return schedule();
        status = await response.json();
      } catch {
        return schedule();
      }
      const pipelineBadge = document.querySelector('[data-pipeline-state]');
      // A pending pipeline has no graph yet; once it has one, the page is drawn again with it.
      if (pipelineBadge && pipelineBadge.getAttribute('data-pipeline-state') === 'pending' && status.state !== 'pending') return location.reload();
      for (const workflow of status.workflows) {
        for (const badge of document.querySelectorAll('[data-workflow-id="' + workflow.id + '"]')) setState(badge, workflow.state);
      }
      for (const job of status.jobs) {
        for (const badge of document.querySelectorAll('[data-job-id="' + job.id + '"]')) {
          const was = badge.textContent;
          if (!setState(badge, job.state)) continue;
          // A job that leaves the queue gets a log: the page is drawn again to start following it.
          // An approval that goes on hold or is decided brings or takes away its Approve button.
          if (reloadOn === String(job.id) || was === 'on_hold' || job.state === 'on_hold') return location.reload();
        }
      }
      if (!status.settled) schedule();
    }
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(poll, 2000);
    }
    schedule();
  }

  // ANSI SGR codes become classes on spans; anything else in an escape sequence is dropped.
  function createAnsiWriter(target) {
    let style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
    let pending = '';
    function apply(codes) {
      const list = codes === '' ? [0] : codes.split(';').map(Number);
      for (let i = 0; i < list.length; i++) {
        const code = list[i];
        if (code === 0) style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
        else if (code === 1) style.bold = true;
        else if (code === 2) style.dim = true;
        else if (code === 3) style.italic = true;
        else if (code === 4) style.underline = true;
        else if (code === 22) style.bold = style.dim = false;
        else if (code === 23) style.italic = false;
        else if (code === 24) style.underline = false;
        else if (code >= 30 && code <= 37) style.fg = code - 30;
        else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
        else if (code === 39) style.fg = null;
        else if (code >= 40 && code <= 47) style.bg = code - 40;
        else if (code >= 100 && code <= 107) style.bg = code - 100;
        else if (code === 49) style.bg = null;
        else if (code === 38 || code === 48) i += list[i + 1] === 5 ? 2 : list[i + 1] === 2 ? 4 : 0; // 256 and true colour: not drawn
      }
    }
    function emit(text) {
      if (text === '') return;
      const classes = [];
      if (style.fg !== null) classes.push('ansi-fg-' + style.fg);
      if (style.bg !== null) classes.push('ansi-bg-' + style.bg);
      for (const flag of ['bold', 'dim', 'italic', 'underline']) if (style[flag]) classes.push('ansi-' + flag);
      if (classes.length === 0) {
        target.appendChild(document.createTextNode(text));
        return;
      }
      const span = document.createElement('span');
      span.className = classes.join(' ');
      span.textContent = text;
      target.appendChild(span);
    }
    return function write(chunk) {
      let text = pending + chunk;
      pending = '';
      // A chunk may end inside an escape sequence; keep that part for the next chunk.
      const cut = text.lastIndexOf('\u001b');
      if (cut !== -1 && !/^\u001b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])/.test(text.slice(cut)) && text.length - cut < 32) {
        pending = text.slice(cut);
        text = text.slice(0, cut);
      }
      const sequence = /\u001b\[([0-9;?]*)([ -/]*[@-~])|\u001b[@-Z\\-_]/g;
      let last = 0;
      let match;
      while ((match = sequence.exec(text)) !== null) {
        emit(text.slice(last, match.index));
        if (match[2] === 'm' && match[1] !== undefined && !match[1].includes('?')) apply(match[1]);
        last = sequence.lastIndex;
      }
      emit(text.slice(last));
    };
  }

  // Job page: follow the log over SSE. Auto-scroll stops when the reader scrolls up and resumes
  // once they are back at the bottom.
  function followLog(pre) {
    if (!window.EventSource) return;
    const status = document.getElementById('log-status');
    let atBottom = true;
    pre.addEventListener('scroll', () => {
      atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    });
    // The stream starts from byte 0, so the server-rendered copy (without colours) makes way for it.
    pre.textContent = '';
    const write = createAnsiWriter(pre);
    const source = new EventSource(pre.getAttribute('data-log-stream'));
    const say = (text) => {
      if (status) status.textContent = text;
    };
    say('Following the log live…');
    source.addEventListener('log', (event) => {
      write(JSON.parse(event.data).text);
      if (atBottom) pre.scrollTop = pre.scrollHeight;
    });
    source.addEventListener('end', () => {
      source.close();
      say('The job has finished.');
    });
    source.addEventListener('error', (event) => {
      // A server `error` event carries a message; EventSource then reconnects from the last byte.
      if (event.data) say('The live log was interrupted (' + JSON.parse(event.data).message + '); reconnecting…');
    });
  }

  function start() {
    for (const container of document.querySelectorAll('[data-poll]')) {
      const badges = container.querySelectorAll('[data-job-id]');
      const unfinished = [...badges].some((badge) => !FINAL.includes(badge.textContent));
      const pending = document.querySelector('[data-pipeline-state="pending"]');
      if (unfinished || pending) pollStatus(container);
    }
    const log = document.getElementById('log');
    if (log && log.hasAttribute('data-log-stream')) followLog(log);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();

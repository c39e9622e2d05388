// The web page of real-esrgan-serve (docs/web-ui.md). It uses only the public
// API: POST /sr, GET /result/{id}, GET /result/{id}/download, DELETE
// /result/{id}, and GET /health for the model. The token lives in
// sessionStorage and travels in the Authorization header only, never in a URL.
'use strict';

const TOKEN_KEY = 'real-esrgan-serve.token';
const POLL_MS = 400;

// What an HTTP status means to a person; the server's detail follows it.
const STATUS_WORDS = {
  0: 'The server could not be reached, or it closed the connection.',
  400: 'The server did not accept this request.',
  401: 'The server needs a valid token.',
  403: 'This token is not allowed to do that.',
  404: 'The server does not know this task; it may have expired.',
  409: 'This task has already ended.',
  410: 'This result has expired and was deleted from the server.',
  411: 'The browser sent the file in a way the server refuses.',
  413: 'This file is too large for the server.',
  415: 'This file type is not supported: use PNG, JPEG, WebP or TIFF.',
  422: 'The server cannot use this file: it is not an image it reads, or it has too many pixels.',
  429: 'The server is busy: its queue is full. Try again in a moment.',
  502: 'The server could not fetch the image from that address.',
  503: 'The server is busy or shutting down. Try again in a moment.',
  504: 'The server ran out of time for this image.',
  507: 'The server has no disk space left for this file.',
};

// Refusals that sending the same request again may overcome: the server was
// unreachable, busy or out of time, or the token dialog was dismissed.
const RETRYABLE_STATUSES = new Set([0, 401, 403, 429, 502, 503, 504, 507]);

const STATE_WORDS = {
  uploading: 'Uploading',
  queued: 'Waiting in the queue',
  running: 'Upscaling',
  success: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
  refused: 'Not accepted',
};

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, problem) {
    const words = STATUS_WORDS[status] || `The server answered with an error (HTTP ${status}).`;
    super(words);
    this.status = status;
    this.detail = problem && typeof problem.detail === 'string' ? problem.detail : '';
  }
}

async function readProblem(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// ---- the token ----------------------------------------------------------

let tokenPrompt = null;

// Opens the token dialog once for all the requests that were refused;
// resolves true when a token was entered, false when the user canceled.
function askForToken(reason) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = $('token-dialog');
  const form = $('token-form');
  $('token-reason').textContent = reason;
  $('token-input').value = '';
  tokenPrompt = new Promise((resolve) => {
    const finish = (entered) => {
      form.removeEventListener('submit', onSubmit);
      $('token-cancel').removeEventListener('click', onCancel);
      dialog.removeEventListener('cancel', onCancel);
      dialog.close();
      tokenPrompt = null;
      resolve(entered);
    };
    const onSubmit = (event) => {
      event.preventDefault();
      const token = $('token-input').value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      finish(true);
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(false);
    };
    form.addEventListener('submit', onSubmit);
    $('token-cancel').addEventListener('click', onCancel);
    dialog.addEventListener('cancel', onCancel);
    dialog.showModal();
    $('token-input').focus();
  });
  return tokenPrompt;
}

// fetch() with the token; asks for a token when the server refuses the one
// sent (or none), and throws an ApiError for every other refusal.
async function api(path, init = {}) {
  for (;;) {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = new Headers(init.headers || {});
    if (token) headers.set('Authorization', `Bearer ${token}`);
    let response;
    try {
      response = await fetch(path, { ...init, headers, cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, null);
    }
    if (response.status === 401 || response.status === 403) {
      const problem = await readProblem(response);
      const reason = token
        ? `The server refused this token (HTTP ${response.status}): it is wrong or was changed. Enter it again.`
        : 'This server needs an API token.';
      if (await askForToken(reason)) continue;
      throw new ApiError(response.status, problem);
    }
    if (!response.ok) throw new ApiError(response.status, await readProblem(response));
    return response;
  }
}

function showMessage(text) {
  const message = $('message');
  message.textContent = text;
  message.hidden = !text;
}

// ---- the server and the options ----------------------------------------

async function loadServer() {
  try {
    const health = await (await api('/health')).json();
    const model = health.model || {};
    const select = $('model');
    select.replaceChildren();
    const option = document.createElement('option');
    // The server's one model: sent as no `model` at all. A model given as a
    // file shows by its file name.
    option.value = '';
    option.textContent = `${model.name.replace(/^.*\//, '')} (×${model.scale})`;
    select.append(option);
    $('scale').placeholder = `${model.scale} (the model's)`;
    $('server-info').textContent =
      `Model ${model.name.replace(/^.*\//, '')}, ×${model.scale}, on ${health.backend} (${health.precision}).`;
    showMessage('');
  } catch (error) {
    $('server-info').textContent = 'Not connected.';
    showMessage(describe(error));
  }
}

function describe(error) {
  if (!(error instanceof ApiError)) return `Something went wrong in this page: ${error.message}`;
  return error.detail ? `${error.message} (${error.detail})` : error.message;
}

// The task parameters the options ask for; empty ones are left to the server.
function chosenParameters() {
  const parameters = {};
  const add = (name, value) => {
    if (value !== '') parameters[name] = value;
  };
  add('model', $('model').value);
  add('scale', $('scale').value.trim());
  add('format', $('format').value);
  add('tile_size', $('tile-size').value);
  return parameters;
}

// ---- tasks ---------------------------------------------------------------

const tasks = [];

function taskElement(task) {
  const item = document.createElement('li');
  item.className = 'task';
  item.innerHTML = `
    <div class="task-head"><span class="task-name"></span>
      <span class="task-state" aria-live="polite"></span></div>
    <progress max="1"></progress>
    <p class="task-error" hidden></p>
    <div class="task-actions">
      <button type="button" class="secondary" data-action="compare" hidden>Compare</button>
      <button type="button" data-action="download" hidden>Download</button>
      <button type="button" class="secondary" data-action="cancel" hidden>Cancel</button>
      <button type="button" class="secondary" data-action="retry" hidden>Try again</button>
    </div>`;
  item.querySelector('.task-name').textContent = task.name;
  item.querySelector('progress').setAttribute('aria-label', `Progress of ${task.name}`);
  for (const button of item.querySelectorAll('button')) {
    button.setAttribute('aria-label', `${button.textContent} ${task.name}`);
  }
  item.querySelector('[data-action="compare"]').addEventListener('click', () => showComparison(task));
  item.querySelector('[data-action="download"]').addEventListener('click', () => download(task));
  item.querySelector('[data-action="cancel"]').addEventListener('click', () => cancel(task));
  item.querySelector('[data-action="retry"]').addEventListener('click', () => send(task));
  return item;
}

// Shows the task's state; progress is announced in steps of 10%.
function render(task) {
  const item = task.element;
  item.dataset.state = task.state;
  if (task.id) item.dataset.taskId = task.id;
  let words = STATE_WORDS[task.state];
  const progress = item.querySelector('progress');
  if (task.state === 'running' && task.fraction !== null) {
    words += `, ${Math.floor(task.fraction * 10) * 10}%`;
    progress.value = task.fraction;
  } else if (task.state === 'success') {
    progress.value = 1;
  } else if (task.state === 'uploading' || task.state === 'queued' || task.state === 'running') {
    progress.removeAttribute('value');
  }
  progress.hidden = !['uploading', 'queued', 'running', 'success'].includes(task.state);
  if (task.state === 'success' && task.output) {
    words += `: ${task.output.width} × ${task.output.height} ${task.output.format.toUpperCase()}`;
  }
  const state = item.querySelector('.task-state');
  if (state.textContent !== words) state.textContent = words;
  const error = item.querySelector('.task-error');
  error.hidden = !task.error;
  error.replaceChildren();
  if (task.error) {
    error.append(task.error.words);
    if (task.error.detail) {
      const detail = document.createElement('small');
      detail.textContent = task.error.detail;
      error.append(detail);
    }
  }
  const ready = task.state === 'success' && task.resultUrl !== null;
  item.querySelector('[data-action="compare"]').hidden = !ready;
  item.querySelector('[data-action="download"]').hidden = !ready;
  item.querySelector('[data-action="cancel"]').hidden =
    !(task.state === 'queued' || task.state === 'running') || !task.id;
  item.querySelector('[data-action="retry"]').hidden =
    task.state !== 'refused' || !task.error.retryable;
  $('download-all').disabled = !tasks.some((t) => t.resultUrl !== null);
  $('no-tasks').hidden = tasks.length > 0;
}

function addTask(name, source) {
  const task = {
    name, state: 'uploading', id: null, fraction: null, error: null, input: null, output: null,
    beforeUrl: source.file ? URL.createObjectURL(source.file) : null, resultUrl: null,
  };
  task.element = taskElement(task);
  tasks.push(task);
  $('tasks').append(task.element);
  render(task);
  return task;
}

function fail(task, state, error) {
  task.state = state;
  task.error = error instanceof ApiError
    ? { words: error.message, detail: error.detail, retryable: RETRYABLE_STATUSES.has(error.status) }
    : { words: describe(error), detail: '', retryable: false };
  render(task);
}

// Submissions go one at a time, in the order they were given.
let submissions = Promise.resolve();

// Sends the task's request; a refused one can be sent again as it was.
function send(task) {
  task.state = 'uploading';
  task.error = null;
  render(task);
  const body = task.body;
  submissions = submissions.then(async () => {
    try {
      const init = body instanceof FormData
        ? { method: 'POST', body }
        : { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } };
      const accepted = await (await api('/sr', init)).json();
      task.id = accepted.task_id;
      task.state = accepted.status;
      render(task);
      poll(task);
    } catch (error) {
      fail(task, 'refused', error);
    }
  });
}

function submit(name, body) {
  const task = addTask(name, body instanceof FormData ? { file: body.get('file') } : {});
  task.body = body;
  send(task);
}

function submitFiles(files) {
  for (const file of files) {
    const form = new FormData();
    form.append('file', file, file.name);
    for (const [name, value] of Object.entries(chosenParameters())) form.append(name, value);
    submit(file.name, form);
  }
}

async function poll(task) {
  try {
    const status = await (await api(`/result/${task.id}`)).json();
    task.state = status.status;
    task.fraction = status.progress ? status.progress.fraction : null;
    task.input = status.input || null;
    task.output = status.output || null;
    if (status.status === 'failed') {
      task.error = { words: 'The upscale failed.', detail: status.error || '' };
    }
    if (status.status === 'success') {
      await fetchResult(task);
    } else if (status.status === 'queued' || status.status === 'running') {
      setTimeout(() => poll(task), POLL_MS);
    }
    render(task);
  } catch (error) {
    fail(task, 'failed', error);
  }
}

async function fetchResult(task) {
  const blob = await (await api(`/result/${task.id}/download`)).blob();
  task.resultUrl = URL.createObjectURL(blob);
  render(task);
  if ($('compare').hidden) showComparison(task);
}

async function cancel(task) {
  try {
    await api(`/result/${task.id}`, { method: 'DELETE' });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) fail(task, task.state, error);
  }
}

function resultFileName(task) {
  const stem = task.name.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '') || 'image';
  return `${stem}-upscaled.${task.output ? task.output.format : 'png'}`;
}

function download(task) {
  const link = document.createElement('a');
  link.href = task.resultUrl;
  link.download = resultFileName(task);
  document.body.append(link);
  link.click();
  link.remove();
}

// One download after another: browsers refuse a burst of them.
async function downloadAll() {
  for (const task of tasks.filter((t) => t.resultUrl !== null)) {
    download(task);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

// ---- before and after ------------------------------------------------------

let dividerFraction = 0.5;

// The divider stays where it is on the screen while the view pans: the
// original shows left of it, the result right of it, both at the result's size.
function placeDivider() {
  const viewport = $('compare-viewport');
  const divider = $('divider');
  const width = viewport.clientWidth;
  divider.style.left = `${dividerFraction * width}px`;
  divider.style.height = `${viewport.clientHeight}px`;
  $('before-clip').style.width = `${viewport.scrollLeft + dividerFraction * width}px`;
  const percent = Math.round(dividerFraction * 100);
  divider.setAttribute('aria-valuenow', String(percent));
  divider.setAttribute('aria-valuetext', `${percent}% of the view shows the original`);
}

function loaded(image, url) {
  return new Promise((resolve, reject) => {
    image.onload = resolve;
    image.onerror = reject;
    image.src = url;
  });
}

async function showComparison(task) {
  const section = $('compare');
  const after = $('after-image');
  const before = $('before-image');
  section.hidden = false;
  section.dataset.taskId = task.id;
  section.dataset.ready = 'false';
  $('compare-caption').textContent = `${task.name}: loading…`;
  try {
    await loaded(after, task.resultUrl);
  } catch {
    $('compare-caption').textContent =
      `${task.name}: this browser cannot show ${task.output.format.toUpperCase()} images; download it instead.`;
    return;
  }
  // 100% zoom: one pixel of the result is one CSS pixel.
  const width = after.naturalWidth;
  const height = after.naturalHeight;
  for (const element of [after, before, $('compare-stage')]) {
    element.style.width = `${width}px`;
    element.style.height = `${height}px`;
  }
  const hasOriginal = task.beforeUrl !== null;
  $('divider').hidden = !hasOriginal;
  $('before-clip').hidden = !hasOriginal;
  $('before-tag').hidden = !hasOriginal;
  if (hasOriginal) await loaded(before, task.beforeUrl);
  const sizes = hasOriginal ? `${before.naturalWidth} × ${before.naturalHeight} → ` : '';
  $('compare-caption').textContent = `${task.name}: ${sizes}${width} × ${height}, at 100%. ` +
    (hasOriginal
      ? 'Move the divider by dragging it or with the arrow keys; drag the image or scroll to pan.'
      : 'The original came from another site, which this page does not load.');
  section.dataset.ready = 'true';
  placeDivider();
}

function setDivider(fraction) {
  dividerFraction = Math.min(1, Math.max(0, fraction));
  placeDivider();
}

function wireComparison() {
  const viewport = $('compare-viewport');
  const divider = $('divider');
  viewport.addEventListener('scroll', placeDivider);
  window.addEventListener('resize', placeDivider);
  divider.addEventListener('keydown', (event) => {
    const steps = { ArrowLeft: -0.05, ArrowDown: -0.05, ArrowRight: 0.05, ArrowUp: 0.05,
                    PageDown: -0.2, PageUp: 0.2 };
    if (event.key in steps) setDivider(dividerFraction + steps[event.key]);
    else if (event.key === 'Home') setDivider(0);
    else if (event.key === 'End') setDivider(1);
    else return;
    event.preventDefault();
  });
  divider.addEventListener('pointerdown', (event) => {
    divider.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  divider.addEventListener('pointermove', (event) => {
    if (!divider.hasPointerCapture(event.pointerId)) return;
    const box = viewport.getBoundingClientRect();
    setDivider((event.clientX - box.left) / viewport.clientWidth);
  });
  // A mouse drags the view; touch pans it natively.
  let pan = null;
  viewport.addEventListener('pointerdown', (event) => {
    if (event.pointerType !== 'mouse' || event.button !== 0) return;
    pan = { x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop };
    viewport.setPointerCapture(event.pointerId);
    viewport.classList.add('panning');
    event.preventDefault();
  });
  viewport.addEventListener('pointermove', (event) => {
    if (!pan) return;
    viewport.scrollLeft = pan.left - (event.clientX - pan.x);
    viewport.scrollTop = pan.top - (event.clientY - pan.y);
  });
  const endPan = () => {
    pan = null;
    viewport.classList.remove('panning');
  };
  viewport.addEventListener('pointerup', endPan);
  viewport.addEventListener('pointercancel', endPan);
}

// ---- input -------------------------------------------------------------------

function wireInputs() {
  const zone = $('drop-zone');
  $('file-input').addEventListener('change', (event) => {
    submitFiles([...event.target.files]);
    event.target.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    submitFiles([...event.dataTransfer.files]);
  });
  // A page-wide drop outside the zone must not navigate away from the tasks.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
  document.addEventListener('paste', (event) => {
    const files = [...event.clipboardData.files];
    if (files.length > 0) submitFiles(files);
  });
  $('url-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const url = $('url-input').value.trim();
    if (!url) return;
    submit(url, { url, ...chosenParameters() });
    $('url-input').value = '';
  });
  $('download-all').addEventListener('click', downloadAll);
}

wireInputs();
wireComparison();
loadServer();

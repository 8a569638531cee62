// The browser chat sample's logic: connect with the token given, join the room, show its lines and
// members, send lines on the room's `chat` mount. The client resumes the room by itself after a lost
// connection; the page only shows what happens. Text goes into the page as text, never as HTML.
import { ImqClient } from './imq-client/index.js';

const $ = (id) => document.getElementById(id);
const hash = new URLSearchParams(location.hash.slice(1));
if (hash.get('token')) {
  $('token').value = hash.get('token');
}
if (hash.get('room')) {
  $('room').value = hash.get('room');
}

let client = null;
let room = null;

const status = (text) => {
  $('status').textContent = text;
};

const addLine = (from, text, note = false) => {
  const li = document.createElement('li');
  const who = document.createElement('span');
  who.className = note ? 'from note' : 'from';
  who.textContent = from;
  li.append(who, document.createTextNode(text));
  $('lines').append(li);
  li.scrollIntoView({ block: 'nearest' });
};

const showMembers = () => {
  $('members').textContent = room ? `in the room: ${room.members.join(', ')}` : '';
};

const enable = (on) => {
  $('line').disabled = !on;
  $('send').disabled = !on;
};

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  if (client) {
    await client.close();
  }
  const queue = $('room').value.trim();
  const token = $('token').value.trim();
  enable(false);
  status('connecting…');
  client = new ImqClient({ url: new URL('../../imq', location.href).href, token });
  client.on('reconnecting', () => {
    enable(false);
    status('connection lost, reconnecting…');
  });
  client.on('reconnected', () => {
    enable(true);
    status(`joined ${queue} as ${client.userId} (reconnected)`);
    showMembers();
  });
  client.on('closed', ({ reason }) => {
    enable(false);
    status(reason === 'replaced' ? 'closed: this user opened the chat somewhere else' : 'closed');
  });
  try {
    await client.connect();
    room = await client.join(queue);
  } catch (err) {
    status(`could not join: ${err.code}: ${err.detail}`);
    return;
  }
  room.on('message', 'chat', (m) => {
    const text = m.data && typeof m.data.text === 'string' ? m.data.text : JSON.stringify(m.data);
    addLine(m.from ?? 'server', text);
  });
  room.on('gap', () => addLine('—', 'some lines were missed while the connection was down', true));
  room.on('presence', showMembers);
  room.on('left', (reason) => {
    enable(false);
    status(`left ${queue}: ${reason}`);
  });
  status(`joined ${queue} as ${client.userId}`);
  showMembers();
  enable(true);
  $('line').focus();
});

$('say').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('line').value.trim();
  if (!text || !room) {
    return;
  }
  $('line').value = '';
  try {
    await room.send('chat', { text });
  } catch (err) {
    addLine('error', `${err.code}: ${err.detail}`, true);
  }
});

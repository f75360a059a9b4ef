// « Quel Espace de Solidarité ? » — search, geolocation and result card. No dependency, no
// network beyond this server (the intranet is offline). Shareable links: ?lon=…&lat=…,
// ?es=CODE, ?commune=CODE, ?q=text.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const input = $('q');
  const list = $('suggestions');
  const status = $('status');
  const card = $('card');
  const choice = $('choice');
  const KIND = {
    commune: 'Commune', es: 'ES', territoire: 'Territoire', mairie: 'Mairie',
    iris: 'Quartier', adresse: 'Adresse', voie: 'Voie',
  };
  const nf = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

  let suggestions = [];
  let active = -1;
  let seq = 0;
  let timer = null;
  let controller = null;
  let esDirectory = null;

  function setStatus(text, isError) {
    status.textContent = text || '';
    status.classList.toggle('error', Boolean(isError));
  }

  async function getJson(url, signal) {
    const resp = await fetch(url, { signal, headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await resp.json(); } catch (_) { body = null; }
    return { ok: resp.ok, status: resp.status, body };
  }

  // ---- suggestions ---------------------------------------------------------------------
  function closeList() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function renderList() {
    list.replaceChildren();
    suggestions.forEach((s, i) => {
      const li = document.createElement('li');
      li.id = 'sugg-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(i === active));
      li.dataset.kind = s.kind;
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = KIND[s.kind] || s.kind;
      const text = document.createElement('span');
      text.className = 'sugg-text';
      const name = document.createElement('span');
      name.className = 'sugg-name';
      name.textContent = s.name;
      const label = document.createElement('span');
      label.className = 'sugg-label';
      label.textContent = s.label;
      text.append(name, label);
      li.append(kind, text);
      li.addEventListener('mousedown', (e) => e.preventDefault());
      li.addEventListener('click', () => pick(s));
      list.append(li);
    });
    const open = suggestions.length > 0;
    list.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    if (active >= 0) input.setAttribute('aria-activedescendant', 'sugg-' + active);
    else input.removeAttribute('aria-activedescendant');
  }

  async function suggest(text) {
    const mine = ++seq;
    if (controller) controller.abort();
    if (!text.trim()) { suggestions = []; closeList(); return; }
    controller = new AbortController();
    try {
      const r = await getJson('api/search?limit=8&q=' + encodeURIComponent(text), controller.signal);
      if (mine !== seq) return;
      if (!r.ok || !r.body) { setStatus((r.body && r.body.error) || 'Recherche impossible.', true); return; }
      suggestions = r.body.results || [];
      active = suggestions.length ? 0 : -1;
      renderList();
      setStatus(suggestions.length ? '' : 'Aucun résultat pour « ' + text.trim() + ' ».');
    } catch (e) {
      if (e && e.name === 'AbortError') return;
      setStatus('Serveur injoignable.', true);
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const text = input.value;
    timer = setTimeout(() => suggest(text), 120);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!suggestions.length) return;
      e.preventDefault();
      const n = suggestions.length;
      active = e.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n;
      renderList();
      const el = $('sugg-' + active);
      if (el) el.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') {
      e.preventDefault();
      if (suggestions.length) pick(suggestions[Math.max(active, 0)]);
      else if (input.value.trim()) suggest(input.value);
    } else if (e.key === 'Escape') {
      closeList();
    }
  });
  input.addEventListener('blur', () => setTimeout(closeList, 150));
  input.addEventListener('focus', () => { if (suggestions.length) renderList(); });
  $('search-form').addEventListener('submit', (e) => e.preventDefault());

  function pick(s) {
    closeList();
    input.value = s.kind === 'adresse' || s.kind === 'voie' ? s.name + ', ' + s.label : s.name;
    if (s.kind === 'es') { showEs(s.code); return; }
    if (s.kind === 'territoire') { showTerritoire(s.code, s.name); return; }
    if (s.kind === 'commune' && s.es && s.es.length > 1) { showSplitCommune(s); return; }
    const what = s.kind === 'commune' ? null : s.name + (s.label ? ' — ' + s.label : '');
    lookupPoint(s.point[0], s.point[1], what, s.kind === 'commune' ? { commune: s.code } : null);
  }

  // ---- results ---------------------------------------------------------------------------
  function hideResults() { card.hidden = true; choice.hidden = true; }

  function setUrl(params) {
    const url = new URL(location.href);
    url.search = new URLSearchParams(params).toString();
    history.replaceState(null, '', url);
    return url.href;
  }

  async function lookupPoint(lon, lat, what, linkParams) {
    setStatus('Recherche de l\u2019Espace de Solidarité\u2026');
    let r;
    try {
      r = await getJson('api/lookup?lon=' + encodeURIComponent(lon) + '&lat=' + encodeURIComponent(lat));
    } catch (_) {
      setStatus('Serveur injoignable.', true);
      return;
    }
    if (r.status === 404) {
      hideResults();
      setStatus('Ce point est hors du Val-de-Marne : aucun Espace de Solidarité du département ne le couvre.', true);
      return;
    }
    if (!r.ok || !r.body) {
      hideResults();
      setStatus((r.body && r.body.error) || 'Recherche impossible.', true);
      return;
    }
    const p = r.body;
    const cardData = await fetchCard(p.es.code);
    const href = setUrl(linkParams || { lon: String(lon), lat: String(lat) });
    renderCard({
      es: p.es, territoire: p.territoire, commune: p.commune, iris: p.iris, border: p.border,
      illustrative: p.illustrative, point: [lon, lat], what, card: cardData, href,
      communeOnly: Boolean(linkParams && linkParams.commune),
    });
    setStatus('');
  }

  async function fetchCard(code) {
    try {
      const r = await getJson('api/es/' + encodeURIComponent(code));
      return r.ok ? r.body : null;
    } catch (_) {
      return null;
    }
  }

  async function directory() {
    if (esDirectory) return esDirectory;
    const r = await getJson('api/es');
    if (!r.ok || !r.body) throw new Error('annuaire');
    esDirectory = r.body;
    return esDirectory;
  }

  async function showEs(code) {
    setStatus('Chargement\u2026');
    const c = await fetchCard(code);
    if (!c) { hideResults(); setStatus('Espace de Solidarité inconnu : ' + code, true); return; }
    const href = setUrl({ es: c.code });
    renderCard({
      es: c, territoire: c.territoire, commune: null, iris: null, border: false,
      illustrative: c.illustrative, point: null, what: null, card: c, href,
    });
    setStatus('');
  }

  function showChoice(title, text, entries) {
    card.hidden = true;
    $('choice-title').textContent = title;
    $('choice-text').textContent = text;
    const ul = $('choice-list');
    ul.replaceChildren();
    for (const e of entries) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = e.name;
      b.addEventListener('click', () => showEs(e.code));
      li.append(b);
      ul.append(li);
    }
    choice.hidden = false;
    setStatus('');
  }

  async function showSplitCommune(s) {
    try {
      const d = await directory();
      const es = d.es.filter((e) => s.es.includes(e.code));
      setUrl({ commune: s.code });
      showChoice(s.name, s.name + ' est partagée entre ' + es.length +
        ' Espaces de Solidarité : tapez l\u2019adresse pour trouver le bon, ou choisissez.', es);
    } catch (_) {
      setStatus('Annuaire des Espaces de Solidarité indisponible.', true);
    }
  }

  async function showTerritoire(code, name) {
    try {
      const d = await directory();
      const es = d.es.filter((e) => e.territoire && e.territoire.code === code);
      showChoice(name, es.length + ' Espaces de Solidarité dans ce territoire :', es);
    } catch (_) {
      setStatus('Annuaire des Espaces de Solidarité indisponible.', true);
    }
  }

  function renderCard(d) {
    choice.hidden = true;
    $('es-name').textContent = d.es.name;
    $('es-address').textContent = d.es.address || '—';
    $('es-hours').textContent = d.es.hours || '—';
    $('territoire').textContent = d.territoire ? d.territoire.name : '—';
    $('illustrative').hidden = !d.illustrative;
    $('row-place').hidden = !d.what;
    $('place').textContent = d.what || '';
    $('row-commune').hidden = !d.commune;
    $('commune').textContent = d.commune ? d.commune.name + ' (' + d.commune.code + ')' : '';
    const showIris = Boolean(d.iris) && !d.communeOnly;
    $('row-iris').hidden = !showIris;
    $('iris').textContent = showIris ? d.iris.name + ' (' + d.iris.code + ')' : '';
    $('border').hidden = !d.border;
    const c = d.card;
    if (c && c.communes) {
      const partial = c.partial_communes || [];
      const names = c.communes
        .map((x) => x.name + (partial.includes(x.code) ? ' (en partie)' : ''))
        .join(', ');
      $('es-communes').textContent = (c.communes.length > 1 ? 'Communes couvertes : ' : 'Commune couverte : ') +
        names + ' — ' + nf.format(c.area_km2) + ' km², ' + c.iris_count + ' quartiers IRIS.';
    } else {
      $('es-communes').textContent = '';
    }
    const point = d.communeOnly ? null : d.point;
    $('map-point-caption').hidden = !point;
    drawMap(c, point);
    $('permalink').href = d.href;
    card.hidden = false;
    card.dataset.es = d.es.code;
  }

  // ---- map: the ES perimeter and the point, as SVG ------------------------------------
  function drawMap(c, point) {
    const svg = $('map');
    svg.replaceChildren();
    if (!c || !c.perimeter || !c.perimeter.length) return;
    let [w, s, e, n] = c.bbox;
    if (point) {
      w = Math.min(w, point[0]); e = Math.max(e, point[0]);
      s = Math.min(s, point[1]); n = Math.max(n, point[1]);
    }
    const k = Math.cos(((s + n) / 2) * Math.PI / 180);
    const W = 320, H = 220, pad = 14;
    const spanX = Math.max((e - w) * k, 1e-6), spanY = Math.max(n - s, 1e-6);
    const scale = Math.min((W - 2 * pad) / spanX, (H - 2 * pad) / spanY);
    const ox = (W - spanX * scale) / 2, oy = (H - spanY * scale) / 2;
    const px = (lon) => (ox + (lon - w) * k * scale).toFixed(1);
    const py = (lat) => (oy + (n - lat) * scale).toFixed(1);
    let dAttr = '';
    for (const poly of c.perimeter) {
      for (const ring of poly) {
        dAttr += 'M' + ring.map(([lon, lat]) => px(lon) + ' ' + py(lat)).join('L') + 'Z';
      }
    }
    const ns = 'http://www.w3.org/2000/svg';
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', dAttr);
    path.setAttribute('class', 'perimeter');
    path.setAttribute('fill-rule', 'evenodd');
    svg.append(path);
    if (point) {
      const halo = document.createElementNS(ns, 'circle');
      halo.setAttribute('cx', px(point[0])); halo.setAttribute('cy', py(point[1]));
      halo.setAttribute('r', '12'); halo.setAttribute('class', 'point-halo');
      const dot = document.createElementNS(ns, 'circle');
      dot.setAttribute('cx', px(point[0])); dot.setAttribute('cy', py(point[1]));
      dot.setAttribute('r', '6'); dot.setAttribute('class', 'point');
      dot.setAttribute('id', 'map-point');
      svg.append(halo, dot);
    }
  }

  // ---- geolocation ---------------------------------------------------------------------
  $('locate').addEventListener('click', () => {
    if (!('geolocation' in navigator)) {
      setStatus('La géolocalisation n\u2019est pas disponible sur cet appareil.', true);
      return;
    }
    setStatus('Localisation en cours\u2026');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const lon = Math.round(pos.coords.longitude * 1e6) / 1e6;
        const lat = Math.round(pos.coords.latitude * 1e6) / 1e6;
        const acc = pos.coords.accuracy ? ' (précision ' + Math.round(pos.coords.accuracy) + ' m)' : '';
        input.value = '';
        lookupPoint(lon, lat, 'Votre position' + acc, null);
      },
      (err) => {
        const msg = err.code === 1
          ? 'Localisation refusée : autorisez-la dans le navigateur, ou tapez une adresse.'
          : 'Position introuvable : réessayez, ou tapez une adresse.';
        setStatus(msg, true);
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  // ---- share ---------------------------------------------------------------------------
  $('share').addEventListener('click', async () => {
    const href = $('permalink').href;
    try {
      if (navigator.share) {
        await navigator.share({ title: $('es-name').textContent, url: href });
        return;
      }
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(href);
        setStatus('Lien copié.');
        return;
      }
    } catch (e) {
      if (e && e.name === 'AbortError') return;
    }
    window.prompt('Copiez ce lien :', href);
  });

  // ---- shareable links -----------------------------------------------------------------
  function fromUrl() {
    const p = new URLSearchParams(location.search);
    const lon = parseFloat(p.get('lon')), lat = parseFloat(p.get('lat'));
    if (Number.isFinite(lon) && Number.isFinite(lat)) { lookupPoint(lon, lat, null, null); return; }
    if (p.get('es')) { showEs(p.get('es')); return; }
    const commune = p.get('commune');
    if (commune) {
      getJson('api/search?limit=1&q=' + encodeURIComponent(commune)).then((r) => {
        const s = r.ok && r.body && r.body.results[0];
        if (s && s.kind === 'commune') { input.value = s.name; pick(s); }
      }).catch(() => setStatus('Serveur injoignable.', true));
      return;
    }
    if (p.get('q')) { input.value = p.get('q'); suggest(input.value); input.focus(); }
  }
  fromUrl();
})();

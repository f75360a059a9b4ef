// Carte des indicateurs de l'observatoire. Everything statistical comes from the server: the
// style (/styles/{indicator}.json) carries the colours of the zones and the legend, the values
// API (/api/indicators/{id}) the values, references, gaps, ranks and evolution of every zone.
// This script only displays them (French number formatting with Intl). No network beyond this
// server: no CDN, no basemap, no glyph server (labels are HTML, placed without overlaps).
// The state of the page is in its URL: ?indicator=…&level=…&year=…&method=…&k=…&breaks=…
// &qpv=1&labels=0&zone=CODE, and the view in #carte=zoom/lat/lon.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const TERRITORY = body.dataset.territory || 'Val-de-Marne';
  const MAP_LEVELS = ['iris', 'commune', 'es', 'territoire'];
  const LEVEL_ONE = {
    iris: 'IRIS', commune: 'Commune', es: 'Espace de Solidarité', territoire: 'Territoire',
    departement: 'Département', qpv: 'Quartier prioritaire (QPV)',
  };
  const LEVEL_PHRASE = {
    iris: 'par IRIS', commune: 'par commune', es: 'par Espace de Solidarité',
    territoire: 'par territoire', departement: 'département',
  };
  const LEVEL_PLURAL = {
    iris: 'IRIS', commune: 'communes', es: 'Espaces de Solidarité', territoire: 'territoires',
    departement: 'département',
  };
  const LEVEL_SINGULAR = {
    iris: 'IRIS', commune: 'commune', es: 'Espace de Solidarité', territoire: 'territoire',
    departement: 'département',
  };
  const zonesOf = (n, level) => `${n} ${n > 1 ? LEVEL_PLURAL[level] : LEVEL_SINGULAR[level]}`;
  const STATUS_TEXT = {
    secret: 'Secret statistique',
    insufficient: 'Effectif insuffisant',
    not_available: 'Donnée non disponible',
  };
  const METHOD_TEXT = {
    quantiles: 'quantiles', jenks: 'seuils naturels (Jenks)', equal: 'intervalles égaux',
    q6: 'Q6', msd: 'moyenne et écart type', geom: 'progression géométrique', headtail: 'head/tail',
    nested_means: 'moyennes emboîtées', diverging: 'écart au département', manual: 'bornes manuelles',
  };
  const reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  // ---- state ------------------------------------------------------------------------------
  const state = {
    indicator: body.dataset.defaultIndicator || '',
    level: 'commune',
    year: '',
    method: '',
    k: '',
    breaks: '',
    qpv: false,
    labels: true,
    zone: '',
  };
  let catalogue = null; // /api/indicators
  let style = null; // current style (metadata: legend, indicator…)
  let values = new Map(); // code → record of the current level
  let valuesLevel = '';
  let map = null;
  let applySeq = 0;
  let flyToZone = false; // after a jump to a zone of another level (zone panel links)
  let hovered = null; // { source, id }
  let selected = null; // { source, id }
  const placesCache = new Map(); // level → Promise<places[]>

  function readUrl() {
    const p = new URLSearchParams(location.search);
    if (p.get('indicator')) state.indicator = p.get('indicator');
    if (MAP_LEVELS.includes(p.get('level'))) state.level = p.get('level');
    state.year = p.get('year') || '';
    state.method = p.get('method') || '';
    state.k = p.get('k') || '';
    state.breaks = p.get('breaks') || '';
    if (state.breaks) state.method = 'manual';
    state.qpv = p.get('qpv') === '1';
    state.labels = p.get('labels') !== '0';
    state.zone = p.get('zone') || '';
  }

  /** The query of the current choice, as the style, classify and export routes read it. */
  function choiceParams(extra) {
    const p = new URLSearchParams();
    p.set('level', state.level);
    if (state.year) p.set('year', state.year);
    if (state.method === 'manual' && state.breaks) p.set('breaks', state.breaks);
    else {
      if (state.method && state.method !== 'manual') p.set('method', state.method);
      if (state.k) p.set('k', state.k);
    }
    if (extra) for (const [k, v] of Object.entries(extra)) p.set(k, v);
    return p;
  }

  function writeUrl() {
    const p = new URLSearchParams();
    p.set('indicator', state.indicator);
    for (const [k, v] of choiceParams()) p.set(k, v);
    if (state.qpv) p.set('qpv', '1');
    if (!state.labels) p.set('labels', '0');
    if (state.zone) p.set('zone', state.zone);
    const url = `${location.pathname}?${p}${location.hash}`;
    history.replaceState(null, '', url);
    $('permalink').value = location.href;
  }

  // ---- formatting (display only) ------------------------------------------------------------
  const formatters = new Map();
  function nf(decimals, opts) {
    const key = `${decimals}|${opts ? JSON.stringify(opts) : ''}`;
    if (!formatters.has(key)) {
      formatters.set(key, new Intl.NumberFormat('fr-FR', {
        minimumFractionDigits: decimals, maximumFractionDigits: decimals, ...(opts || {}),
      }));
    }
    return formatters.get(key);
  }
  const NBSP = '\u00a0';
  function num(v, decimals) { return nf(decimals).format(v); }
  function withUnit(v, ind, decimals) {
    const d = decimals === undefined ? ind.decimals : decimals;
    const s = num(v, d);
    return ind.unit ? `${s}${NBSP}${ind.unit}` : s;
  }
  /** A gap: points of percentage for rates, the unit otherwise; always signed. */
  function gapText(v, ind) {
    const s = nf(ind.decimals, { signDisplay: 'exceptZero' }).format(v);
    const unit = ind.unit === '%' ? 'pts' : ind.unit;
    return unit ? `${s}${NBSP}${unit}` : s;
  }
  function ordinal(n) { return n === 1 ? '1er' : `${n}e`; }

  // ---- network ------------------------------------------------------------------------------
  async function getJson(url) {
    const resp = await fetch(url, { headers: { Accept: 'application/json' } });
    let data = null;
    try { data = await resp.json(); } catch (_) { data = null; }
    return { ok: resp.ok, status: resp.status, body: data };
  }
  function status(text, isError) {
    const el = $('status');
    el.textContent = text || '';
    el.classList.toggle('error', Boolean(isError));
  }
  function places(level) {
    if (!placesCache.has(level)) {
      placesCache.set(level, getJson(`api/places/${level}`).then((r) => (r.ok ? r.body.places : [])));
    }
    return placesCache.get(level);
  }

  // ---- controls -----------------------------------------------------------------------------
  function indicatorInfo(id) {
    return catalogue && catalogue.indicators.find((i) => i.id === id);
  }

  function fillIndicators() {
    const sel = $('indicator');
    sel.replaceChildren();
    for (const theme of catalogue.themes) {
      const group = document.createElement('optgroup');
      group.label = theme;
      for (const ind of catalogue.indicators.filter((i) => i.theme === theme)) {
        const o = document.createElement('option');
        o.value = ind.id;
        // The Département's own data, visible only when signed in (/connexion).
        o.textContent = ind.visibility === 'internal' ? `${ind.label} « interne »` : ind.label;
        if (ind.visibility === 'internal') o.dataset.internal = 'true';
        group.append(o);
      }
      sel.append(group);
    }
  }

  function syncControls() {
    $('level').value = state.level;
    if (catalogue) {
      $('indicator').value = state.indicator;
      const ind = indicatorInfo(state.indicator);
      const years = ind ? ind.years : [];
      const ysel = $('year');
      ysel.replaceChildren(...years.slice().reverse().map((y) => {
        const o = document.createElement('option');
        o.value = String(y);
        o.textContent = String(y);
        return o;
      }));
      ysel.value = state.year || String(years[years.length - 1] || '');
      ysel.disabled = years.length < 2;
    }
    const legend = style && style.metadata['observatoire:legend'];
    const symbols = legend && legend.mode === 'symbols';
    $('method').value = state.method || (legend && legend.method) || 'quantiles';
    $('k').value = state.k;
    $('breaks').value = state.breaks;
    $('breaks-field').hidden = $('method').value !== 'manual';
    for (const id of ['method', 'k', 'breaks']) $(id).disabled = Boolean(symbols);
    $('k').disabled = Boolean(symbols) || ['q6', 'manual'].includes($('method').value);
    $('symbols-note').hidden = !symbols;
    $('qpv').checked = state.qpv;
    $('labels').checked = state.labels;
  }

  function bindControls() {
    $('level').addEventListener('change', (e) => {
      state.level = e.target.value;
      state.zone = '';
      apply();
    });
    $('indicator').addEventListener('change', (e) => {
      state.indicator = e.target.value;
      state.year = '';
      if (state.method === 'manual') { state.method = ''; state.breaks = ''; }
      apply();
    });
    $('year').addEventListener('change', (e) => { state.year = e.target.value; apply(); });
    $('k').addEventListener('change', (e) => { state.k = e.target.value; apply(); });
    $('method').addEventListener('change', (e) => {
      const m = e.target.value;
      $('breaks-field').hidden = m !== 'manual';
      if (m === 'manual') {
        const legend = style && style.metadata['observatoire:legend'];
        if (!$('breaks').value && legend && legend.breaks) {
          const d = legend.decimals || 0;
          // No thousands separator: the server reads « 0 - 10,5 - 20 ».
          $('breaks').value = legend.breaks.map((b) => nf(d, { useGrouping: false }).format(b)).join(' - ');
        }
        $('breaks').focus();
        return;
      }
      state.method = m;
      state.breaks = '';
      apply();
    });
    $('controls').addEventListener('submit', (e) => {
      e.preventDefault();
      if ($('method').value === 'manual' && $('breaks').value.trim()) {
        state.method = 'manual';
        state.breaks = $('breaks').value.trim();
        apply();
      }
    });
    $('qpv').addEventListener('change', (e) => {
      state.qpv = e.target.checked;
      if (map && map.getLayer('qpv')) map.setLayoutProperty('qpv', 'visibility', state.qpv ? 'visible' : 'none');
      writeUrl();
      renderLegend();
    });
    $('labels').addEventListener('change', (e) => {
      state.labels = e.target.checked;
      writeUrl();
      labels.refresh();
    });
    $('zone').addEventListener('change', (e) => {
      if (e.target.value) select(e.target.value, { fly: true, focus: true });
    });
    $('copy-link').addEventListener('click', async () => {
      const input = $('permalink');
      try {
        await navigator.clipboard.writeText(input.value);
        status('Lien copié.');
      } catch (_) {
        input.select();
        status('Lien sélectionné : copiez-le (Ctrl+C).');
      }
      setTimeout(() => status(''), 2500);
    });
    $('panel-close').addEventListener('click', () => unselect(true));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !$('panel').hidden) unselect(true);
    });
  }

  async function fillZoneSelect() {
    const level = state.level;
    const list = await places(level);
    if (level !== state.level) return;
    const sorted = list.slice().sort((a, b) => (level === 'iris'
      ? a.code.localeCompare(b.code)
      : a.name.localeCompare(b.name, 'fr')));
    const sel = $('zone');
    const first = document.createElement('option');
    first.value = '';
    first.textContent = `Choisir (${sorted.length} ${LEVEL_PLURAL[level]})…`;
    sel.replaceChildren(first, ...sorted.map((p) => {
      const o = document.createElement('option');
      o.value = p.code;
      o.textContent = level === 'iris' ? `${p.code} — ${p.name}` : p.name;
      return o;
    }));
    sel.value = state.zone || '';
  }

  /**
   * The static map of the current choice, with the classification the server actually used
   * (method, class count, year), so that the file matches the page.
   */
  function mapExportParams(extra) {
    const c = style && style.metadata['observatoire:choice'];
    const legend = style && style.metadata['observatoire:legend'];
    const q = choiceParams();
    if (c && legend && legend.mode === 'classes' && !(state.method === 'manual' && state.breaks)) {
      q.set('year', String(c.year));
      q.set('method', c.method);
      q.set('k', String(c.k));
    }
    q.set('indicator', state.indicator);
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    return q;
  }

  function updateExports() {
    const csv = new URLSearchParams({ level: state.level, indicator: state.indicator });
    if (state.year) csv.set('year', state.year);
    $('export-csv').href = `export/indicators.csv?${csv}`;
    $('export-csv-all').href = `export/indicators.csv?level=${encodeURIComponent(state.level)}`;
    const extra = { labels: 'true' };
    if (state.zone) extra.highlight = state.zone;
    const q = mapExportParams(extra);
    for (const f of ['svg', 'png', 'pdf']) $(`export-${f}`).href = `export/map.${f}?${q}`;
  }

  // ---- applying a choice --------------------------------------------------------------------
  function styleUrl() {
    const q = choiceParams();
    if (state.qpv) q.set('qpv', '1');
    return `styles/${encodeURIComponent(state.indicator)}.json?${q}`;
  }
  function valuesUrl() {
    const q = new URLSearchParams({ level: state.level });
    if (state.year) q.set('year', state.year);
    return `api/indicators/${encodeURIComponent(state.indicator)}?${q}`;
  }
  function mapState(s, choice) {
    const el = $('map');
    el.dataset.state = s;
    if (choice !== undefined) el.dataset.choice = choice;
  }
  function choiceKey() {
    const c = style.metadata['observatoire:choice'];
    return [c.indicator, c.level, c.year, c.method || '', c.k || ''].join('|');
  }

  async function apply(first) {
    const seq = ++applySeq;
    mapState('loading');
    writeUrl();
    updateExports();
    status(first ? '' : 'Chargement…');
    let s;
    let v;
    try {
      const reuse = first && early && early.key === `${styleUrl()} ${valuesUrl()}`;
      [s, v] = await (reuse ? early.answers : Promise.all([getJson(styleUrl()), getJson(valuesUrl())]));
    } catch (e) {
      if (seq !== applySeq) return;
      status('Le serveur ne répond pas : réessayez.', true);
      mapState('error');
      return;
    }
    if (seq !== applySeq) return;
    if (!s.ok || !v.ok) {
      const msg = (s.body && s.body.error) || (v.body && v.body.error) || `erreur ${s.status}`;
      if (first && state.indicator !== body.dataset.defaultIndicator) {
        // A stale permalink (unknown indicator or year): fall back to the default map.
        state.indicator = body.dataset.defaultIndicator;
        state.year = ''; state.method = ''; state.k = ''; state.breaks = ''; state.zone = '';
        status(`Lien périmé (${msg}) : carte par défaut.`, true);
        return apply(false);
      }
      status(`Carte impossible : ${msg}`, true);
      mapState('error');
      return;
    }
    const previousLevel = style ? style.metadata['observatoire:choice'].level : null;
    style = s.body;
    const choice = style.metadata['observatoire:choice'];
    state.year = String(choice.year);
    values = new Map(v.body.records.map((r) => [r.code, r]));
    valuesLevel = choice.level;
    if (!map) {
      performance.mark('observatoire:style');
      createMap(style);
      performance.mark('observatoire:map');
    } else {
      if (previousLevel !== choice.level) clearHover();
      map.setStyle(style, { diff: true });
      map.triggerRepaint();
    }
    const key = choiceKey();
    map.once('idle', () => {
      if (seq === applySeq) { mapState('ready', key); status(''); }
    });
    syncControls();
    renderLegend();
    renderSourceLine();
    if (window.observatoire.firstPaint) labels.refresh(); // else right after the first paint
    writeUrl();
    updateExports();
    if (previousLevel !== choice.level) fillZoneSelect();
    const zone = state.zone;
    const fly = (first && !location.hash) || flyToZone;
    flyToZone = false;
    whenSource(() => {
      if (seq !== applySeq) return;
      if (zone) select(zone, { fly, focus: fly && !first });
      else unselect(false);
    });
  }

  /** Run `fn` once the current level's source exists (the first style loads asynchronously). */
  function whenSource(fn) {
    if (map.getSource(level())) { fn(); return; }
    const retry = () => {
      if (!map.getSource(level())) return;
      map.off('styledata', retry);
      fn();
    };
    map.on('styledata', retry);
  }

  // ---- the map ------------------------------------------------------------------------------
  /**
   * The first frame needs only the choropleth (or the circles): the grey neighbours and the
   * outlines of the other levels are added right after it is painted, so that their tiles and
   * the neighbours' GeoJSON do not delay it in MapLibre's worker.
   */
  function firstStyle(s) {
    // The background is the map container's CSS colour meanwhile; one shader program less.
    const keep = new Set(['choroplethe', 'cercles']);
    const layers = s.layers.filter((l) => keep.has(l.id)).map((l) => (l.id === 'choroplethe'
      ? { ...l, paint: { ...l.paint, 'fill-antialias': false } } : l));
    const used = new Set(layers.map((l) => l.source).filter(Boolean));
    const sources = Object.fromEntries(Object.entries(s.sources).filter(([k]) => used.has(k)));
    return { ...s, layers, sources };
  }

  function createMap(s) {
    const b = s.metadata['observatoire:bounds'];
    const pad = [(b[2] - b[0]) * 0.8, (b[3] - b[1]) * 0.8];
    map = new maplibregl.Map({
      container: 'map',
      style: firstStyle(s),
      bounds: b,
      fitBoundsOptions: { padding: 24 },
      maxBounds: [b[0] - pad[0], b[1] - pad[1], b[2] + pad[0], b[3] + pad[1]],
      minZoom: 7,
      maxZoom: 16,
      hash: 'carte',
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      attributionControl: { compact: true },
      locale: {
        'NavigationControl.ZoomIn': 'Zoomer',
        'NavigationControl.ZoomOut': 'Dézoomer',
        'NavigationControl.ResetBearing': 'Réorienter vers le nord',
        'ScaleControl.Meters': 'm',
        'ScaleControl.Kilometers': 'km',
        'AttributionControl.ToggleAttribution': 'Afficher les sources',
        'Map.Title': 'Carte',
      },
    });
    window.observatoire.map = map;
    map.touchZoomRotate.disableRotation();
    map.keyboard.disableRotation();
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-left');
    const canvas = map.getCanvas();
    canvas.setAttribute('aria-label', `Carte du ${TERRITORY} : flèches pour se déplacer, + et − pour zoomer ; la liste « Aller à une zone » ouvre la fiche d'une zone.`);

    // First choropleth painted: the first frame drawn once the level's tiles are loaded.
    const onRender = () => {
      const lvl = style.metadata['observatoire:choice'].level;
      if (map.getSource(lvl) && map.isSourceLoaded(lvl)) {
        map.off('render', onRender);
        performance.mark('observatoire:choropleth');
        window.observatoire.firstPaint = performance.now();
        map.setStyle(style, { diff: true });
        labels.refresh();
      }
    };
    map.on('render', onRender);
    map.on('error', (e) => {
      // Reported in the page; MapLibre logs it too.
      status(`Erreur de la carte : ${(e.error && e.error.message) || e}`, true);
    });

    map.on('mousemove', 'choroplethe', (e) => {
      const f = e.features && e.features[0];
      if (!f) return;
      setHover(f.id);
      showTooltip(e.point, f.id, f.properties.name);
      map.getCanvas().style.cursor = 'pointer';
    });
    map.on('mouseleave', 'choroplethe', () => {
      clearHover();
      $('tooltip').hidden = true;
      map.getCanvas().style.cursor = '';
    });
    map.on('click', 'choroplethe', (e) => {
      const f = e.features && e.features[0];
      if (f) select(String(f.id), { focus: false });
    });
    map.on('move', () => labels.schedule());
    // Circles keep their size on the ground: their legend follows the zoom.
    map.on('zoomend', () => {
      const legend = style && style.metadata['observatoire:legend'];
      if (legend && legend.mode === 'symbols') renderLegend();
    });
    map.on('resize', () => labels.resized());
  }

  function level() { return style.metadata['observatoire:choice'].level; }
  function featureRef(id) { const l = level(); return { source: l, sourceLayer: l, id }; }

  function setHover(id) {
    if (hovered && hovered.id === id && hovered.source === level()) return;
    clearHover();
    hovered = featureRef(id);
    map.setFeatureState(hovered, { hover: true });
  }
  function clearHover() {
    if (hovered && map.getSource(hovered.source)) map.setFeatureState(hovered, { hover: false });
    hovered = null;
  }

  function valueText(r, ind) {
    if (!r) return 'Donnée non disponible';
    if (r.status !== 'ok' || r.value === null || r.value === undefined) {
      return STATUS_TEXT[r.status] || 'Donnée non disponible';
    }
    return withUnit(r.value, ind) + (r.approximation ? ' (approximation)' : '');
  }

  function showTooltip(point, code, fallbackName) {
    const tip = $('tooltip');
    const r = values.get(String(code));
    const ind = style.metadata['observatoire:indicator'];
    const name = (r && r.name) || fallbackName || code;
    const strong = document.createElement('strong');
    strong.textContent = name;
    const span = document.createElement('span');
    span.textContent = valueText(r, ind);
    tip.replaceChildren(strong, span);
    tip.hidden = false;
    const wrap = $('map-wrap').getBoundingClientRect();
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    let x = point.x + 14;
    let y = point.y + 14;
    if (x + w > wrap.width - 4) x = point.x - w - 14;
    if (y + h > wrap.height - 4) y = point.y - h - 14;
    tip.style.left = `${Math.max(4, x)}px`;
    tip.style.top = `${Math.max(4, y)}px`;
  }

  // ---- legend -------------------------------------------------------------------------------
  function renderLegend() {
    if (!style) return;
    const legend = style.metadata['observatoire:legend'];
    const ind = style.metadata['observatoire:indicator'];
    const choice = style.metadata['observatoire:choice'];
    $('legend-title').textContent = ind.label + (ind.unit ? ` (${ind.unit})` : '');
    const method = legend.mode === 'symbols'
      ? 'cercles proportionnels'
      : `${METHOD_TEXT[state.method === 'manual' ? 'manual' : legend.method] || legend.method}, ${legend.counts.length} classes`;
    $('legend-subtitle').textContent = `${choice.year} · ${LEVEL_PHRASE[choice.level]} · ${method}`;
    const out = $('legend-body');
    out.replaceChildren();
    const refs = references(legend);
    if (legend.mode === 'symbols') out.append(symbolLegend(legend, ind));
    else out.append(classLegend(legend, ind, refs));
    const missing = document.createElement('ul');
    missing.className = 'missing';
    missing.append(classRow(legend.missing_color, 'Données non disponibles / secret', legend.missing_count, 'missing'));
    out.append(missing);
    if (legend.mode === 'symbols') {
      const list = document.createElement('p');
      list.className = 'outside';
      list.textContent = refs.map((r) => `${r.name} : ${r.value === null ? 'non renseigné' : withUnit(r.value, ind)}`).join(' ; ');
      out.append(list);
    }
    if (state.qpv) {
      const q = document.createElement('div');
      q.className = 'qpv-key';
      const line = document.createElement('span');
      line.className = 'line';
      const t = document.createElement('span');
      t.textContent = 'Quartiers prioritaires (QPV)';
      q.append(line, t);
      out.append(q);
    }
    $('illustrative').hidden = !style.metadata['observatoire:illustrative'];
  }

  function references(legend) {
    const r = legend.references || {};
    return [
      { key: 'departement', name: TERRITORY, value: r.departement ?? null },
      { key: 'region', name: style.metadata['observatoire:region'] || 'Région', value: r.region ?? null },
      { key: 'france', name: 'France', value: r.france ?? null },
    ];
  }

  function classRow(color, text, count, cls) {
    const li = document.createElement('li');
    li.className = 'class' + (cls ? ` ${cls}` : '');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color;
    sw.dataset.color = color;
    const label = document.createElement('span');
    label.className = 'range';
    label.textContent = text;
    const c = document.createElement('span');
    c.className = 'count';
    c.textContent = `(${count})`;
    c.title = `${count} zone${count > 1 ? 's' : ''}`;
    li.append(sw, label, c);
    return li;
  }

  function classLegend(legend, ind, refs) {
    const ul = document.createElement('ul');
    ul.className = 'classes';
    const b = legend.breaks;
    const d = legend.decimals ?? ind.decimals;
    const n = legend.counts.length;
    const placed = new Set();
    // Classes from the highest value down, as analysts read them.
    for (let i = n - 1; i >= 0; i -= 1) {
      const last = i === n - 1;
      const text = `[${num(b[i], d)} ; ${num(b[i + 1], d)}${last ? ']' : '['}`;
      const li = classRow(legend.colors[i], text, legend.counts[i]);
      li.dataset.class = String(i);
      li.setAttribute('aria-label', `${last ? 'de' : 'de'} ${num(b[i], d)} à ${last ? '' : 'moins de '}${num(b[i + 1], d)} : ${legend.counts[i]} zones`);
      const here = refs.filter((r) => r.value !== null && r.value >= b[i] && (last ? r.value <= b[i + 1] : r.value < b[i + 1]));
      if (here.length) {
        const box = document.createElement('span');
        box.className = 'refs';
        for (const r of here) {
          placed.add(r.key);
          const tag = document.createElement('span');
          tag.className = 'ref';
          tag.dataset.ref = r.key;
          tag.textContent = `${r.name} ${withUnit(r.value, ind)}`;
          box.append(tag);
        }
        li.append(box);
      }
      ul.append(li);
    }
    const wrap = document.createElement('div');
    wrap.append(ul);
    const rest = refs.filter((r) => !placed.has(r.key));
    if (rest.length) {
      const p = document.createElement('p');
      p.className = 'outside';
      p.textContent = rest.map((r) => (r.value === null
        ? `${r.name} : valeur non renseignée`
        : `◆ ${r.name} ${withUnit(r.value, ind)} (hors des classes)`)).join(' ; ');
      wrap.append(p);
    }
    return wrap;
  }

  function symbolLegend(legend, ind) {
    const div = document.createElement('div');
    div.className = 'symbols';
    const scale = map ? 2 ** (map.getZoom() - legend.reference_zoom) : 1;
    const radii = legend.samples.map((s) => s.radius * scale);
    const rmax = Math.max(4, ...radii);
    const width = rmax * 2 + 130;
    const height = rmax * 2 + 12;
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', `Cercles proportionnels : ${legend.samples.map((s) => withUnit(s.value, ind, 0)).join(', ')}`);
    const base = height - 2;
    legend.samples.forEach((s, i) => {
      const r = radii[i];
      const c = document.createElementNS(ns, 'circle');
      c.setAttribute('cx', String(rmax + 1));
      c.setAttribute('cy', String(base - r));
      c.setAttribute('r', String(r));
      c.setAttribute('fill', i === 0 ? legend.color : 'none');
      c.setAttribute('fill-opacity', '0.8');
      c.setAttribute('stroke', i === 0 ? '#ffffff' : '#333333');
      svg.append(c);
      const line = document.createElementNS(ns, 'line');
      line.setAttribute('x1', String(rmax + 1));
      line.setAttribute('x2', String(rmax * 2 + 8));
      line.setAttribute('y1', String(base - 2 * r));
      line.setAttribute('y2', String(base - 2 * r));
      line.setAttribute('stroke', '#333333');
      svg.append(line);
      const t = document.createElementNS(ns, 'text');
      t.setAttribute('x', String(rmax * 2 + 12));
      t.setAttribute('y', String(base - 2 * r + 4));
      t.setAttribute('font-size', '12');
      t.textContent = withUnit(s.value, ind, 0);
      svg.append(t);
    });
    div.append(svg);
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = `Surface des cercles proportionnelle à la valeur (maximum ${withUnit(legend.max, ind, 0)}).`;
    div.append(p);
    return div;
  }

  function renderSourceLine() {
    const ind = style.metadata['observatoire:indicator'];
    const year = style.metadata['observatoire:choice'].year;
    const src = (ind.sources || []).filter((s) => s.year === year);
    const text = (src.length ? src : ind.sources || [])
      .map((s) => `${s.producer}, ${s.title}`).join(' ; ');
    $('source-line').textContent = `Source : ${text || 'INSEE'} — IGN, INSEE, Contours IRIS (Licence Ouverte 2.0).`;
    $('subtitle').textContent = `${ind.label}, ${year}, ${LEVEL_PHRASE[style.metadata['observatoire:choice'].level]}`;
    if (ind.visibility === 'internal') {
      const tag = document.createElement('span');
      tag.className = 'tag-internal';
      tag.textContent = 'interne';
      $('subtitle').append(' ', tag);
    }
  }

  // ---- labels (HTML, no glyph server), placed without overlaps --------------------------------
  const labels = (function () {
    const layer = $('labels-layer');
    let items = []; // { el, place, w, h, priority }
    let contextItems = [];
    let key = '';
    let pending = false;

    function make(place, cfg, cls) {
      const el = document.createElement('div');
      el.className = `map-label ${cls || ''}`;
      el.textContent = place.short || place.name;
      el.style.fontSize = `${Math.round(cfg.size * 2)}px`;
      if (cfg.color) el.style.color = cfg.color;
      layer.append(el);
      return { el, place, w: 0, h: 0 };
    }

    async function refresh() {
      const cfg = style && style.metadata['observatoire:labels'];
      const wanted = state.labels && cfg ? `${cfg.names}|${cfg.min_area_km2}` : '';
      if (wanted === key) { schedule(); return; }
      key = wanted;
      layer.replaceChildren();
      items = [];
      contextItems = [];
      if (!wanted) return;
      const [list, ctx] = await Promise.all([places(cfg.names), places('context')]);
      if (key !== wanted) return;
      items = list
        .filter((p) => p.area_km2 >= cfg.min_area_km2)
        .sort((a, b) => b.area_km2 - a.area_km2)
        .map((p) => make(p, cfg, cfg.bold ? 'bold' : ''));
      contextItems = ctx.map((p) => Object.assign(make(p, { size: 6.5, color: '#5a5a5a' }, 'context'), { context: true }));
      for (const it of [...items, ...contextItems]) {
        it.w = it.el.offsetWidth;
        it.h = it.el.offsetHeight;
      }
      place();
    }

    function schedule() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; place(); });
    }

    // Layout read once per size of the map (controls do not move): placing labels while the
    // map moves then forces no layout.
    let frame = null;
    function measure() {
      const base = $('map').getBoundingClientRect();
      frame = {
        W: layer.clientWidth,
        H: layer.clientHeight,
        controls: [...document.querySelectorAll('#map .maplibregl-ctrl')].map((c) => {
          const r = c.getBoundingClientRect();
          return { x0: r.left - base.left, y0: r.top - base.top, x1: r.right - base.left, y1: r.bottom - base.top };
        }),
      };
    }

    function place() {
      if (!map || !items.length) return;
      if (!frame) measure();
      const { W, H } = frame;
      const boxes = frame.controls.slice();
      const free = (b) => b.x0 >= 2 && b.y0 >= 2 && b.x1 <= W - 2 && b.y1 <= H - 2
        && !boxes.some((o) => b.x0 < o.x1 + 2 && b.x1 > o.x0 - 2 && b.y0 < o.y1 + 1 && b.y1 > o.y0 - 1);
      const all = [...items, ...contextItems];
      for (const it of all) {
        const p = map.project(it.place.point);
        let shown = false;
        // A name much wider than its zone on screen would label its neighbours: left out.
        const sw = map.project([it.place.bbox[0], it.place.bbox[1]]);
        const ne = map.project([it.place.bbox[2], it.place.bbox[3]]);
        if (!it.context && it.w > 1.8 * Math.abs(ne.x - sw.x)) {
          it.el.hidden = true;
          continue;
        }
        // Centred on the zone's interior point, else just above or below it.
        for (const dy of [0, -0.75, 0.75]) {
          const x0 = p.x - it.w / 2;
          const y0 = p.y - it.h / 2 + dy * it.h;
          const b = { x0, y0, x1: x0 + it.w, y1: y0 + it.h };
          if (free(b)) {
            boxes.push(b);
            it.el.style.transform = `translate(${Math.round(x0)}px, ${Math.round(y0)}px)`;
            shown = true;
            break;
          }
        }
        it.el.hidden = !shown;
      }
    }

    function resized() { frame = null; schedule(); }

    return { refresh, schedule, resized, visible: () => items.filter((i) => !i.el.hidden).map((i) => i.el) };
  }());

  // ---- selection and the zone panel ----------------------------------------------------------
  async function select(code, opts) {
    const o = opts || {};
    const lvl = level();
    if (!values.has(code)) {
      // Not a zone of this level (stale link).
      state.zone = '';
      writeUrl();
      return;
    }
    if (selected && map.getSource(selected.source)) map.setFeatureState(selected, { selected: false });
    selected = featureRef(code);
    map.setFeatureState(selected, { selected: true });
    state.zone = code;
    $('zone').value = code;
    writeUrl();
    updateExports();
    renderPanel(code, lvl, o.focus);
    if (o.fly) {
      const list = await places(lvl);
      const p = list.find((x) => x.code === code);
      if (p) {
        map.fitBounds(p.bbox, { padding: 60, maxZoom: lvl === 'iris' ? 14 : 12, duration: reduceMotion ? 0 : 600 });
      }
    }
  }

  function unselect(userAction) {
    if (selected && map && map.getSource(selected.source)) map.setFeatureState(selected, { selected: false });
    selected = null;
    const wasOpen = !$('panel').hidden;
    $('panel').hidden = true;
    document.querySelector('.layout').classList.remove('panel-open');
    if (state.zone) {
      state.zone = '';
      $('zone').value = '';
      writeUrl();
      updateExports();
    }
    if (userAction && wasOpen) map.getCanvas().focus();
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function renderPanel(code, lvl, focus) {
    const r = values.get(code);
    const ind = style.metadata['observatoire:indicator'];
    const choice = style.metadata['observatoire:choice'];
    const illustrative = style.metadata['observatoire:illustrative'] && (lvl === 'es' || lvl === 'territoire');
    $('panel-kicker').textContent = `${LEVEL_ONE[lvl]} ${code}${illustrative ? ' · composition illustrative' : ''}`;
    $('panel-title').textContent = r.name;
    const out = $('panel-body');
    out.replaceChildren();
    out.append(el('p', `${ind.label}, ${choice.year}`, 'muted'));
    const ok = r.status === 'ok' && r.value !== null && r.value !== undefined;
    const v = el('p', ok ? withUnit(r.value, ind) : (STATUS_TEXT[r.status] || 'Donnée non disponible'), ok ? 'value' : 'value missing');
    v.id = 'panel-value';
    out.append(v);
    if (r.status === 'insufficient' && ind.min_denominator) {
      out.append(el('p', `Valeur non diffusée : moins de ${num(ind.min_denominator, 0)} au dénominateur.`, 'note'));
    }
    if (r.note) out.append(el('p', r.note.charAt(0).toUpperCase() + r.note.slice(1) + '.', 'note'));

    // Comparisons.
    out.append(el('h3', 'Comparaisons'));
    const table = el('table');
    const head = el('tr');
    for (const h of ['Référence', 'Valeur', 'Écart', 'Indice']) head.append(el('th', h));
    const thead = el('thead');
    thead.append(head);
    table.append(thead);
    const tb = el('tbody');
    const rows = [
      [TERRITORY, r.ref_departement, r.gap_departement, r.index_departement],
      [style.metadata['observatoire:region'] || 'Région', r.ref_region, r.gap_region, r.index_region],
      ['France', r.ref_france, r.gap_france, r.index_france],
    ];
    if (lvl === 'commune' && (r.ref_strate !== null || r.strate)) {
      rows.push([`Communes franciliennes ${r.strate ? r.strate.replace(/^communes /, '') : 'de même taille'}`, r.ref_strate, r.gap_strate, r.index_strate]);
    }
    for (const [name, ref, gap, index] of rows) {
      const tr = el('tr');
      tr.append(el('td', name));
      tr.append(el('td', ref === null || ref === undefined ? 'n.d.' : withUnit(ref, ind)));
      tr.append(el('td', gap === null || gap === undefined ? '—' : gapText(gap, ind)));
      tr.append(el('td', index === null || index === undefined ? '—' : num(index, 0)));
      tb.append(tr);
    }
    table.append(tb);
    out.append(table);
    out.append(el('p', ind.unit === '%'
      ? 'Écart en points de pourcentage ; indice base 100 = la référence.'
      : 'Indice base 100 = la référence.', 'note'));

    // Rank and evolution.
    if (r.rank) {
      out.append(el('p', `Rang : ${ordinal(r.rank)} sur ${r.rank_of} ${LEVEL_PLURAL[lvl]} (1 = valeur la plus élevée).`));
    }
    out.append(el('h3', 'Évolution'));
    if (r.evolution_from && r.change !== null && r.change !== undefined) {
      const parts = [`De ${r.evolution_from} à ${choice.year} : ${gapText(r.change, ind)}`];
      if (r.annual_growth !== null && r.annual_growth !== undefined) {
        parts.push(`soit ${nf(1, { signDisplay: 'exceptZero' }).format(r.annual_growth)} % par an`);
      }
      out.append(el('p', parts.join(', ') + '.'));
    } else if (ind.evolution) {
      out.append(el('p', `Non disponible pour cette zone (${ind.evolution[0]} → ${ind.evolution[1]}).`, 'muted'));
    } else {
      out.append(el('p', 'Non calculée : un seul millésime, ou des millésimes du recensement distants de moins de 5 ans.', 'muted'));
    }

    // Definition and source.
    out.append(el('h3', 'Définition'));
    out.append(el('p', ind.definition));
    if (r.numerator !== null && r.numerator !== undefined && r.denominator !== null && r.denominator !== undefined) {
      out.append(el('p', `Numérateur ${num(r.numerator, r.numerator % 1 ? 1 : 0)} ; dénominateur ${num(r.denominator, r.denominator % 1 ? 1 : 0)}.`, 'note'));
    }
    for (const s of (ind.sources || []).filter((x) => x.year === choice.year)) {
      const p = el('p', `Source : ${s.producer}, ${s.title}${s.label ? ` (${s.label})` : ''}.`, 'src');
      out.append(p);
    }

    // Composition (fetched: which zones it contains and belongs to).
    const comp = el('div');
    comp.id = 'panel-composition';
    comp.append(el('p', 'Composition…', 'muted'));
    out.append(comp);
    getJson(`api/composition/${lvl}/${encodeURIComponent(code)}`).then((resp) => {
      if (state.zone !== code || level() !== lvl) return;
      comp.replaceChildren();
      if (!resp.ok) return;
      renderComposition(comp, resp.body);
    });

    const pdf = el('a', 'Carte de cette zone (PDF)', 'button secondary');
    pdf.href = `export/map.pdf?${mapExportParams({ labels: 'true', highlight: code })}`;
    pdf.setAttribute('download', '');
    const p = el('p');
    p.append(pdf);
    out.append(p);

    const panel = $('panel');
    panel.hidden = false;
    document.querySelector('.layout').classList.add('panel-open');
    if (focus) panel.focus();
  }

  function zoneButton(levelKey, z) {
    const li = el('li');
    const text = `${z.name}${levelKey === 'iris' ? ` (${z.code})` : ''}${z.whole ? '' : ' — en partie'}`;
    if (MAP_LEVELS.includes(levelKey)) {
      const b = el('button', text, 'link');
      b.type = 'button';
      b.addEventListener('click', () => goTo(levelKey, z.code));
      li.append(b);
    } else {
      li.textContent = text;
    }
    return li;
  }

  function renderComposition(box, c) {
    if (c.belongs_to.length) {
      box.append(el('h3', 'Appartient à'));
      const ul = el('ul', null, 'zones');
      for (const group of c.belongs_to) {
        for (const z of group.zones) {
          const li = zoneButton(group.level, z);
          li.prepend(`${LEVEL_ONE[group.level]} : `);
          ul.append(li);
        }
      }
      box.append(ul);
    }
    for (const group of c.contains) {
      const h = el('h3', `Contient ${zonesOf(group.zones.length, group.level)}`);
      const ul = el('ul', null, group.zones.length > 8 ? 'zones many' : 'zones');
      for (const z of group.zones) ul.append(zoneButton(group.level, z));
      if (group.zones.length > 30) {
        const d = el('details');
        const s = el('summary', `${LEVEL_PLURAL[group.level]} (${group.zones.length})`);
        d.append(s, ul);
        box.append(h, d);
      } else {
        box.append(h, ul);
      }
    }
    if (c.qpv && c.qpv.length) {
      box.append(el('h3', 'Quartiers prioritaires recoupés'));
      const ul = el('ul', null, 'zones');
      for (const q of c.qpv) ul.append(el('li', `${q.name} (${q.code})`));
      box.append(ul);
    }
    if (c.illustrative && ['es', 'territoire', 'iris', 'commune'].includes(c.level)) {
      box.append(el('p', 'Les rattachements aux Espaces de Solidarité et aux territoires sont illustratifs.', 'note'));
    }
  }

  function goTo(levelKey, code) {
    if (levelKey === state.level) { select(code, { fly: true, focus: true }); return; }
    state.level = levelKey;
    state.zone = code;
    flyToZone = true; // apply() selects state.zone once the new level is drawn
    apply();
  }

  // ---- start --------------------------------------------------------------------------------
  window.observatoire = {
    state,
    get style() { return style; },
    get values() { return values; },
    get valuesLevel() { return valuesLevel; },
    labels: () => labels.visible(),
    map: null,
    firstPaint: null,
  };

  // app.js runs before maplibre-gl.js is evaluated (both deferred, in that order): the first
  // requests start now, the map is created once MapLibre is there (DOMContentLoaded).
  readUrl();
  bindControls();
  syncControls();
  const early = {
    key: `${styleUrl()} ${valuesUrl()}`,
    answers: Promise.all([getJson(styleUrl()), getJson(valuesUrl())]),
  };
  early.answers.catch(() => {});
  const catalogueReady = getJson('api/indicators').then((r) => {
    if (!r.ok) throw new Error((r.body && r.body.error) || 'catalogue indisponible');
    catalogue = r.body;
    fillIndicators();
    syncControls();
  }).catch((e) => status(`Indicateurs indisponibles : ${e.message}`, true));

  function start() {
    if (typeof maplibregl === 'undefined') {
      status('La bibliothèque de carte n\'a pas pu être chargée.', true);
      return;
    }
    performance.mark('observatoire:maplibre');
    maplibregl.prewarm();
    Promise.all([catalogueReady, apply(true)]);
  }
  if (typeof maplibregl !== 'undefined' || document.readyState === 'complete') start();
  else document.addEventListener('DOMContentLoaded', start);
}());

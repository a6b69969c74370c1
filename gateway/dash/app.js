/* gateway/dash/app.js - the office dashboard: sign-in by SMS code, open
 * cases, a case's page and its actions, children's files, visit coverage
 * and the audit log. Plain JavaScript for old phones: no framework, no
 * build step, nothing loaded from elsewhere. It asks /api/v1 like any
 * client; the address bar shows only the view's name ("#cases"), never a
 * case number, child code, name or phone, and nothing personal is logged. */
(function () {
  'use strict';

  /* ---- the code book (the same words the SMS side uses) ---------------- */

  var CATEGORIES = {
    1: '性侵', 2: '家暴虐待', 3: '无人照料或遗弃', 4: '走失拐卖', 5: '自伤自杀',
    6: '溺水等紧急危险', 7: '欺凌', 8: '辍学', 9: '其他'
  };
  var OUTCOMES = { 1: '已处置', 2: '已转介', 3: '不属实', 4: '已立案' };
  var DEPT_CODES = ['police', 'civil_affairs', 'education', 'health', 'cyberspace', 'women', 'youth'];
  var DEPTS = {
    police: '公安', civil_affairs: '民政', education: '教育', health: '卫健',
    cyberspace: '网信', women: '妇联', youth: '团委'
  };
  var PRIORITIES = { P0: 'P0 特急', P1: 'P1 紧急', P2: 'P2 一般', P3: 'P3 较低' };
  var STATUSES = { open: '待确认', acknowledged: '已确认', closed: '已结案' };
  var ROLES = {
    admin: '系统管理员', county: '县级管理员', supervisor: '乡镇督导员',
    responder: '部门值班人员', director: '儿童主任', auditor: '审计员'
  };
  var CHILD_CATEGORIES = {
    left_behind: '留守儿童', difficulty: '困境儿童', orphan: '孤儿', unsupported: '事实无人抚养儿童',
    single_parent: '单亲家庭儿童'
  };
  var CHILD_FLAGS = { parent_disabled: '父母残疾', child_disabled: '儿童残疾', psych: '心理关注' };
  var VISIT_RESULTS = { 1: '见到儿童，一切正常', 2: '见到儿童，发现问题', 3: '入户未见到儿童', 4: '电话或视频联系' };
  var PROBLEMS = { JH: '监护', XL: '心理', XX: '上学', JK: '健康', SH: '生活', AQ: '安全', QG: '亲情' };
  var CHECKINS = { 1: '平安', 2: '求助', 3: '回家', 4: '换人' };
  var EVENTS = {
    opened: '案件受理', alerted: '已发送警报', realerted: '超时未确认，再次警报',
    queued_for_triage: '待民政分类', classified: '已分类', assigned: '已指派部门',
    acknowledged: '已确认接收', closed: '已结案', note: '备注', reporter_told: '已告知报告人',
    status_query: '查询案件状态', flood_held: '集中来报暂缓', followup: '报告人补充信息',
    followup_told: '已转告补充信息', ussd_session: 'USSD 报告', village_told: '已通知村儿童主任',
    child_named: '已关联儿童', description_added: '已补充描述', voice_call: '电话报告', recording: '收到语音录音'
  };
  var AUDIT_ACTIONS = {
    'read case': '查看案件', 'read child': '查阅儿童档案', 'sign in': '登录', 'sign out': '退出登录',
    'case ack': '确认案件', 'case classify': '案件分类', 'case assign': '指派部门', 'case note': '添加备注',
    'case close': '结案'
  };
  var ERRORS = {
    400: '输入有误，请检查后重试',
    403: '您的角色无权执行此操作',
    404: '未找到，或不在您的权限范围内',
    409: '该案件当前状态不允许此操作',
    429: '操作太频繁，请稍后再试'
  };
  var VIEWS = ['overview', 'cases', 'case', 'children', 'child', 'coverage', 'audit'];
  var PAGE = 50;

  /* ---- state (in memory; the record being looked at also in sessionStorage) */

  var me = null;           /* the /api/v1/me answer */
  var casesNext = null;    /* the cursor of the cases list's next page */
  var casesAsk = 0;        /* the cases list's latest request (older answers are dropped) */
  var childNext = null;    /* the cursor of the children search's next page */
  var auditNext = null;    /* the cursor of the audit log's next page */
  var coverage = [];       /* the coverage rows in scope */
  var coverageAt = '';     /* the region path being looked at ('' the top) */
  var currentCase = null;  /* the case page's answer */
  var childFile = null;    /* a child's file just read, to show */

  /* ---- small helpers ------------------------------------------------------ */

  /* The element with id. */
  function $(id) { return document.getElementById(id); }

  /* A new element of tag with class cls (optional) and text (optional). */
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /* Removes every child of element e. */
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  /* Shows text in element e (hidden when text is empty); cls picks its look. */
  function say(e, text, cls) {
    e.textContent = text || '';
    if (cls) e.className = cls;
    e.hidden = !text;
  }

  /* A value kept for this tab (sessionStorage may be unavailable: then none). */
  function keep(key, value) {
    try {
      if (value === null || value === undefined) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, value);
    } catch (e) { /* private mode: memory only */ }
  }

  /* The value keep stored under key, or null. */
  function kept(key) {
    try { return sessionStorage.getItem(key); } catch (e) { return null; }
  }

  /* Two digits. */
  function pad(n) { return (n < 10 ? '0' : '') + n; }

  /* An ISO time (or unix seconds) as Beijing time "2026-03-01 08:30";
   * '—' for none. Beijing has no summer time: UTC+8 all year. */
  function bjTime(t) {
    if (t === null || t === undefined || t === '') return '—';
    var ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
    if (isNaN(ms)) return String(t);
    var d = new Date(ms + 8 * 3600 * 1000);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
  }

  /* Seconds as "3 天 2 小时" / "3 小时 20 分" / "5 分". */
  function span(sec) {
    var m = Math.floor(sec / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (d > 0) return d + ' 天 ' + (h % 24) + ' 小时';
    if (h > 0) return h + ' 小时 ' + (m % 60) + ' 分';
    return m + ' 分';
  }

  /* The time left to a case's deadline: "剩余 3 小时 20 分", "已超时 …",
   * or '—' when it has none (acknowledged, closed). */
  function timeLeft(c) {
    if (c.seconds_left === null || c.seconds_left === undefined) return '—';
    return c.seconds_left >= 0 ? '剩余 ' + span(c.seconds_left) : '已超时 ' + span(-c.seconds_left);
  }

  /* A department code or Chinese name in Chinese. */
  function deptName(d) { return DEPTS[d] || d; }

  /* A case's category in words: unclassified, inferred or named. */
  function categoryText(c) {
    var name = CATEGORIES[c.category] || String(c.category);
    if (c.inferred) return '推断：' + name + '（待核实）';
    if (!c.classified) return '未分类';
    return c.category + ' ' + name;
  }

  /* A priority ("P1", or the number 1) in words. */
  function priorityText(p) {
    var key = typeof p === 'number' ? 'P' + p : p;
    return PRIORITIES[key] || key || '—';
  }

  /* The last part of a region path ("示例县/东溪镇/上湾村" -> "上湾村"). */
  function place(path) {
    if (!path) return '—';
    var parts = String(path).split('/');
    return parts[parts.length - 1];
  }

  /* A region path for reading ("示例县 › 东溪镇"). */
  function placeFull(path) { return path ? String(path).split('/').join(' › ') : '—'; }

  /* ---- the API -------------------------------------------------------------- */

  /* Asks the API: method, path (with its query), body (an object or
   * nothing). Resolves to {status, data}; a 401 shows the sign-in page
   * (except when signing in). Never rejects: a network failure is status 0. */
  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method !== 'GET') {
      var csrf = kept('gw.csrf');
      if (csrf) opts.headers['X-CSRF-Token'] = csrf;
    }
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (r.status === 401 && path.indexOf('/api/v1/login') !== 0) signedOut('登录已过期，请重新登录');
        return { status: r.status, data: data || {} };
      });
    }, function () {
      return { status: 0, data: {} };
    });
  }

  /* A failed answer in Chinese for the page (never the raw English). */
  function failure(res) {
    if (res.status === 0) return '网络连接失败，请检查网络后重试';
    if (res.status === 409) {
      var why = String(res.data.error || '');
      if (why.indexOf('closed') >= 0) return '该案件已结案，不能再操作';
      if (why.indexOf('acknowledged') >= 0) return '该案件已确认过，无需重复确认';
    }
    return ERRORS[res.status] || ('系统暂时出错（' + res.status + '），请稍后再试');
  }

  /* A query string from an object, skipping empty values. */
  function query(params) {
    var out = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v !== null && v !== undefined && v !== '') out.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
    });
    return out.length ? '?' + out.join('&') : '';
  }

  /* A line of status (loading, errors of a whole view) under the tabs. */
  function status(text) { say($('status-line'), text, text && text.indexOf('正在') === 0 ? 'muted' : 'error'); }

  /* ---- sign-in ---------------------------------------------------------------- */

  /* Shows the sign-in page (message: why, optional) and forgets the session. */
  function signedOut(message) {
    me = null;
    keep('gw.csrf', null);
    keep('gw.case', null);
    keep('gw.child', null);
    keep('gw.purpose', null);
    $('app-view').hidden = true;
    $('login-view').hidden = false;
    say($('login-note'), '');
    say($('login-error'), message || '');
    $('login-code').value = '';
  }

  /* The phone typed into the sign-in form, or '' with an error shown. */
  function loginPhone() {
    var phone = $('login-phone').value.replace(/[\s-]/g, '');
    if (!/^\+?\d{8,15}$/.test(phone)) {
      say($('login-error'), '请输入正确的手机号');
      return '';
    }
    return phone;
  }

  /* "获取验证码": asks for a code by SMS. */
  function sendCode() {
    var phone = loginPhone();
    if (!phone) return;
    say($('login-error'), '');
    $('login-send').disabled = true;
    api('POST', '/api/v1/login', { phone: phone }).then(function (res) {
      $('login-send').disabled = false;
      if (res.status === 202) {
        say($('login-note'), '如果该号码已登记，验证码已通过短信发送，请查收。');
        $('login-code').focus();
      } else if (res.status === 429) {
        say($('login-error'), '获取验证码太频繁，请稍后再试');
      } else {
        say($('login-error'), res.status === 400 ? '请输入正确的手机号' : failure(res));
      }
    });
  }

  /* "登录": signs in with the code; keeps the CSRF value for this tab. */
  function verifyCode() {
    var phone = loginPhone();
    if (!phone) return;
    var code = $('login-code').value.replace(/\s/g, '');
    if (!/^\d{6}$/.test(code)) {
      say($('login-error'), '请输入短信中的 6 位验证码');
      return;
    }
    $('login-verify').disabled = true;
    api('POST', '/api/v1/login/verify', { phone: phone, code: code }).then(function (res) {
      $('login-verify').disabled = false;
      if (res.status === 200 && res.data.csrf) {
        keep('gw.csrf', res.data.csrf);
        $('login-code').value = '';
        say($('login-error'), '');
        start();
      } else if (res.status === 401) {
        say($('login-error'), '验证码错误或已过期，请重新获取');
      } else if (res.status === 429) {
        say($('login-error'), '尝试次数太多，请稍后再试');
      } else {
        say($('login-error'), failure(res));
      }
    });
  }

  /* "退出登录": ends the session. */
  function logout() {
    api('POST', '/api/v1/logout').then(function () {
      signedOut('');
      history.replaceState(null, '', '/');
    });
  }

  /* Loads who is signed in and opens the dashboard; the sign-in page when
   * there is no session (or this tab never signed in: no CSRF value). */
  function start() {
    if (!kept('gw.csrf')) {
      signedOut('');
      return;
    }
    api('GET', '/api/v1/me').then(function (res) {
      if (res.status !== 200) {
        if (res.status !== 401) signedOut(failure(res));
        return;
      }
      me = res.data;
      showShell();
      route();
    });
  }

  /* ---- the shell: who, tabs, views -------------------------------------------- */

  /* May the signed-in role do action ("cases.read", "cases.write",
   * "children.read", "audit.read")? The API's role table. */
  function may(action) {
    var role = me ? me.role : '';
    var table = {
      'cases.read': ['admin', 'county', 'supervisor', 'responder', 'director'],
      'cases.write': ['admin', 'county', 'supervisor', 'responder'],
      'children.read': ['admin', 'county', 'supervisor', 'director'],
      'audit.read': ['admin', 'auditor']
    };
    return (table[action] || []).indexOf(role) >= 0;
  }

  /* Fills the header and shows the tabs the role may use. */
  function showShell() {
    var who = me.display_name || String(me.name || '').replace(/^staff:/, '工作人员 #');
    var parts = [who, ROLES[me.role] || me.role];
    if (me.department) parts.push(deptName(me.department));
    if (me.region) parts.push(placeFull(me.region));
    $('me').textContent = parts.join(' · ');
    $('nav-overview').hidden = !may('cases.read');
    $('nav-cases').hidden = !may('cases.read');
    $('nav-children').hidden = !may('children.read');
    $('nav-coverage').hidden = !may('children.read');
    $('nav-audit').hidden = !may('audit.read');
    $('overview-visits').hidden = !may('children.read');
    $('overview-chart').hidden = !may('children.read');
    $('case-actions').hidden = !may('cases.write');
    $('login-view').hidden = true;
    $('app-view').hidden = false;
  }

  /* The view the role starts on. */
  function homeView() { return may('cases.read') ? 'overview' : 'audit'; }

  /* Opens view name: the address bar shows only "#name". */
  function go(name) {
    if (location.hash === '#' + name) route();
    else location.hash = '#' + name;
  }

  /* Shows the view the address names (the home view when it is unknown or
   * not the role's) and loads it. */
  function route() {
    if (!me) return;
    var name = location.hash.replace(/^#/, '');
    var allowed = {
      overview: may('cases.read'), cases: may('cases.read'), 'case': may('cases.read'),
      children: may('children.read'), child: may('children.read'),
      coverage: may('children.read'), audit: may('audit.read')
    };
    if (!allowed[name] || (name === 'case' && !kept('gw.case')) || (name === 'child' && !kept('gw.child'))) {
      name = homeView();
      history.replaceState(null, '', '#' + name);
    }
    VIEWS.forEach(function (v) { $(v + '-view').hidden = v !== name; });
    ['overview', 'cases', 'children', 'coverage', 'audit'].forEach(function (v) {
      var tab = name === 'case' ? 'cases' : name === 'child' ? 'children' : name;
      $('nav-' + v).className = v === tab ? 'on' : '';
    });
    status('');
    var load = {
      overview: loadOverview, cases: function () { loadCases(false); }, 'case': loadCase,
      children: function () { }, child: loadChild, coverage: loadCoverage, audit: function () { loadAudit(false); }
    };
    load[name]();
  }

  /* ---- cases: tables --------------------------------------------------------- */

  /* A table row for case c with the cells of cols ("number", "category",
   * "priority", "status", "left", "region"); a click opens the case. */
  function caseRow(c, cols) {
    var tr = el('tr', 'click p-' + String(c.priority).toLowerCase());
    tr.setAttribute('data-case', c.number);
    cols.forEach(function (col) {
      var text = {
        number: c.number, category: categoryText(c), priority: priorityText(c.priority),
        status: STATUSES[c.status] || c.status, left: timeLeft(c), region: place(c.region)
      }[col];
      var td = el('td', col === 'left' && c.seconds_left < 0 ? 'late' : '', text);
      if (col === 'category') td.className = !c.classified || c.inferred ? 'cat warn' : 'cat';
      tr.appendChild(td);
    });
    return tr;
  }

  /* Opens the case page of case number (kept for this tab, not in the URL). */
  function openCase(number) {
    keep('gw.case', number);
    say($('case-message'), '');
    go('case');
  }

  /* The case number of the row a click landed in, or null. */
  function clickedCase(ev) {
    var tr = ev.target.closest ? ev.target.closest('tr[data-case]') : null;
    return tr ? tr.getAttribute('data-case') : null;
  }

  /* Unclassified first, then inferred, then the rest, each in the API's
   * working order. */
  function triageFirst(list) {
    function rank(c) { return !c.classified && !c.inferred ? 0 : c.inferred ? 1 : 2; }
    return list.map(function (c, i) { return { c: c, i: i }; }).sort(function (a, b) {
      return rank(a.c) - rank(b.c) || a.i - b.i;
    }).map(function (x) { return x.c; });
  }

  /* ---- overview ---------------------------------------------------------------- */

  /* The overview: open cases, visits due, coverage by village. */
  function loadOverview() {
    status('正在加载…');
    api('GET', '/api/v1/cases' + query({ status: 'open', limit: 200 })).then(function (res) {
      var body = $('overview-cases').tBodies[0];
      clear(body);
      if (res.status !== 200) {
        status(failure(res));
        return;
      }
      status('');
      var list = triageFirst(res.data.cases || []);
      list.forEach(function (c) { body.appendChild(caseRow(c, ['number', 'category', 'priority', 'left'])); });
      $('overview-cases-empty').hidden = list.length > 0;
    });
    if (!may('children.read')) return;
    loadDue();
    api('GET', '/api/v1/coverage').then(function (res) {
      var svg = $('overview-coverage');
      if (res.status !== 200) {
        drawBars(svg, [], failure(res));
        return;
      }
      var villages = (res.data.rows || []).filter(function (r) { return r.level === 3; });
      drawBars(svg, villages.map(barOf), '暂无村级数据');
    });
  }

  /* The visits due (overdue ones marked) into #overview-due. */
  function loadDue() {
    api('GET', '/api/v1/visits/due' + query({ limit: 100 })).then(function (res) {
      var ul = $('overview-due');
      clear(ul);
      if (res.status !== 200) {
        ul.appendChild(el('li', 'error', failure(res)));
        return;
      }
      var items = res.data.items || [];
      if (!items.length) ul.appendChild(el('li', 'muted', '没有待走访的儿童。'));
      items.sort(function (a, b) { return b.days_past_due - a.days_past_due; });
      items.forEach(function (d) {
        var li = el('li', d.overdue ? 'late click' : 'click');
        li.appendChild(el('strong', '', d.name || '（未登记姓名）'));
        li.appendChild(el('span', 'muted', ' ' + place(d.region) + ' · 应于 ' + d.due + ' 走访 · '));
        li.appendChild(el('span', d.overdue ? 'late' : '',
          d.days_past_due > 0 ? '已超期 ' + d.days_past_due + ' 天' : '今天到期'));
        li.setAttribute('data-child', d.code);
        ul.appendChild(li);
      });
    });
  }

  /* A due item clicked: the children page with its code filled in (a file
   * opens only once a purpose is chosen). */
  function dueClicked(ev) {
    var li = ev.target.closest ? ev.target.closest('li[data-child]') : null;
    if (!li) return;
    $('child-code-input').value = li.getAttribute('data-child');
    go('children');
    say($('child-error'), '请选择查阅目的，然后点击“打开档案”', 'muted');
  }

  /* ---- the SVG bar chart -------------------------------------------------------- */

  /* A coverage row as a bar: label, value (percent), extra text. */
  function barOf(r) {
    var pct = r.children > 0 ? Math.round(100 * r.in_person / r.children) : 0;
    return { label: place(r.path), value: pct, text: pct + '%（' + r.in_person + '/' + r.children + '）' };
  }

  /* A new SVG element of tag with attributes attrs. */
  function svgEl(tag, attrs) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  /* Draws bars (0-100 each) into svg, one row per bar, with its label on
   * the left and its value after it; empty: the text shown instead. Sizes
   * are in the SVG's own units (viewBox), so it scales to any width. */
  function drawBars(svg, bars, empty) {
    clear(svg);
    var W = 360, ROW = 26, LABEL = 78, BAR = 190, h = Math.max(bars.length, 1) * ROW + 8;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + h);
    svg.setAttribute('height', String(h));
    svg.setAttribute('role', 'img');
    if (!bars.length) {
      var t = svgEl('text', { x: 4, y: 20, 'class': 'bar-label' });
      t.textContent = empty;
      svg.appendChild(t);
      return;
    }
    bars.forEach(function (b, i) {
      var y = 4 + i * ROW, w = Math.max(0, Math.min(100, b.value)) * BAR / 100;
      var label = svgEl('text', { x: LABEL - 4, y: y + 15, 'text-anchor': 'end', 'class': 'bar-label' });
      label.textContent = b.label;
      svg.appendChild(label);
      svg.appendChild(svgEl('rect', { x: LABEL, y: y + 3, width: BAR, height: 16, 'class': 'bar-back' }));
      var cls = b.value >= 80 ? 'bar-good' : b.value >= 50 ? 'bar-mid' : 'bar-low';
      var rect = svgEl('rect', { x: LABEL, y: y + 3, width: w, height: 16, 'class': cls });
      var title = svgEl('title', {});
      title.textContent = b.label + ' ' + b.text;
      rect.appendChild(title);
      svg.appendChild(rect);
      var value = svgEl('text', { x: LABEL + BAR + 4, y: y + 15, 'class': 'bar-value' });
      value.textContent = b.value + '%';
      svg.appendChild(value);
    });
  }

  /* ---- cases list ------------------------------------------------------------------ */

  /* The cases list of the chosen status; more: the next page after it. */
  function loadCases(more) {
    var body = $('cases-list').tBodies[0];
    if (!more) {
      clear(body);
      casesNext = null;
    }
    status('正在加载…');
    var ask = ++casesAsk;
    var q = query({ status: $('cases-status').value, limit: PAGE, cursor: more ? casesNext : '' });
    api('GET', '/api/v1/cases' + q).then(function (res) {
      if (ask !== casesAsk) return;
      if (res.status !== 200) {
        status(failure(res));
        return;
      }
      status('');
      (res.data.cases || []).forEach(function (c) {
        body.appendChild(caseRow(c, ['number', 'category', 'priority', 'status', 'left', 'region']));
      });
      casesNext = res.data.next || null;
      $('cases-more').hidden = !casesNext;
      $('cases-empty').hidden = body.rows.length > 0;
    });
  }

  /* ---- case page ------------------------------------------------------------------- */

  /* Loads the case kept for this tab into the case page. */
  function loadCase() {
    var number = kept('gw.case');
    currentCase = null;
    status('正在加载…');
    api('GET', '/api/v1/cases/' + encodeURIComponent(number)).then(function (res) {
      if (res.status !== 200) {
        status(failure(res));
        fillCase(null);
        return;
      }
      status('');
      currentCase = res.data;
      fillCase(res.data);
    });
  }

  /* Fills the case page with case c (null: empty). */
  function fillCase(c) {
    c = c || { departments: [], events: [], recordings: [] };
    $('case-number').textContent = c.number || '';
    $('case-status').textContent = STATUSES[c.status] || c.status || '';
    $('case-category').textContent = c.number ? categoryText(c) : '';
    $('case-priority').textContent = c.number ? priorityText(c.priority) : '';
    $('case-deadline').textContent = c.number ? timeLeft(c) + (c.deadline ? '（' + bjTime(c.deadline) + ' 前）' : '') : '';
    $('case-deadline').className = c.seconds_left < 0 ? 'late' : '';
    $('case-opened').textContent = c.number ? bjTime(c.opened_at) : '';
    $('case-region').textContent = c.number ? placeFull(c.region) : '';
    $('case-departments').textContent = (c.departments || []).map(deptName).join('、') || '—';
    $('case-child').textContent = c.child ? (c.child.name || '') + '（编号 ' + c.child.code + '）' : '未关联';
    $('case-reporter').textContent = c.reporter || '—';
    $('case-description').textContent = c.description || '（无文字描述）';
    fillEvents(c);
    var rec = $('case-recordings');
    clear(rec);
    (c.recordings || []).forEach(function (m) {
      var size = m.bytes ? '，' + Math.round(m.bytes / 1024) + ' KB' : '';
      rec.appendChild(el('li', '', bjTime(m.created_at) + ' 录音 #' + m.id + '（' +
        ({ stored: '已保存', pending: '等待下载', failed: '下载失败' }[m.status] || m.status) + size + '）'));
    });
    if (!rec.firstChild) rec.appendChild(el('li', 'muted', '没有录音'));
    var closed = c.status === 'closed';
    ['classify-submit', 'assign-submit', 'ack-submit', 'close-submit'].forEach(function (id) {
      $(id).disabled = !c.number || closed;
    });
    $('ack-submit').disabled = !c.number || c.status !== 'open';
    $('note-submit').disabled = !c.number;
    if (c.number) {
      $('classify-category').value = c.classified || c.inferred ? String(c.category) : '';
      Array.prototype.forEach.call(document.querySelectorAll('input[name=dept]'), function (box) {
        box.checked = (c.departments || []).map(deptCode).indexOf(box.value) >= 0;
      });
    }
  }

  /* A department name or code as its code. */
  function deptCode(d) {
    for (var k in DEPTS) if (DEPTS[k] === d) return k;
    return d;
  }

  /* An event's detail in words: department codes, categories and outcomes
   * named, the rest as written. */
  function eventDetail(e) {
    var d = String(e.detail || '');
    if (e.kind === 'reporter_told') return d === 'closed' ? '案件已处理完毕' : d;
    d = d.replace(/depts=([a-z_,]+)/, function (m, list) { return list.split(',').map(deptName).join('、'); });
    d = d.replace(/\bcat=(\d)/, function (m, n) { return '类别 ' + n + ' ' + (CATEGORIES[n] || ''); });
    d = d.replace(/outcome=(\d)/, function (m, n) { return '结果：' + (OUTCOMES[n] || n); });
    d = d.replace(/inferred=(\d)/, function (m, n) { return '系统推断类别 ' + n + ' ' + (CATEGORIES[n] || ''); });
    d = d.replace(/from=(\d)( inferred)?/, function (m, n) { return '原类别 ' + n + ' ' + (CATEGORIES[n] || ''); });
    d = d.replace(/phrase=/, '关键词：').replace(/\bfree_text\b/, '自由文字短信');
    d = d.replace(/\b(classified|assigned)\s*/g, '').replace(/count=(\d+)/, '$1 条短信');
    return d.trim();
  }

  /* The events of case c into #case-events, one li each; an alert names
   * the departments it went to. */
  function fillEvents(c) {
    var ul = $('case-events');
    clear(ul);
    (c.events || []).forEach(function (e) {
      var text = EVENTS[e.kind] || e.kind;
      var detail = e.kind === 'note' ? String(e.detail || '') : eventDetail(e);
      if (e.kind === 'alerted' || e.kind === 'realerted') {
        var depts = (c.departments || []).map(deptName).join('、');
        if (depts) text += '（' + depts + '）';
      }
      var li = el('li');
      li.appendChild(el('span', 'when', bjTime(e.at)));
      li.appendChild(el('span', 'what', text));
      if (detail) li.appendChild(el('span', 'detail', (e.kind === 'note' ? '：' : ' · ') + detail));
      ul.appendChild(li);
    });
    if (!ul.firstChild) ul.appendChild(el('li', 'muted', '暂无记录'));
  }

  /* Runs one case action: POST /api/v1/cases/<number>/<what> with body;
   * success shows done (a text with "已") and reloads the case. */
  function caseAction(what, body, done, button) {
    if (!currentCase) return;
    button.disabled = true;
    say($('case-message'), '正在提交…', 'message');
    api('POST', '/api/v1/cases/' + encodeURIComponent(currentCase.number) + '/' + what, body).then(function (res) {
      button.disabled = false;
      if (res.status === 401) return;
      if (res.status === 200) {
        var sent = res.data.queued ? '，已发送 ' + res.data.queued + ' 条短信通知' : '';
        say($('case-message'), done + sent, 'message ok');
        if (what === 'note') $('note-text').value = '';
        if (what === 'close') $('close-note').value = '';
      } else {
        say($('case-message'), failure(res), 'message error');
      }
      loadCase();
    });
  }

  /* "确定分类". */
  function classify() {
    var cat = parseInt($('classify-category').value, 10);
    if (!(cat >= 1 && cat <= 9)) {
      say($('case-message'), '请先选择类别', 'message error');
      return;
    }
    caseAction('classify', { category: cat }, '已分类为“' + CATEGORIES[cat] + '”', $('classify-submit'));
  }

  /* "确定指派". */
  function assign() {
    var depts = Array.prototype.filter.call(document.querySelectorAll('input[name=dept]'), function (b) {
      return b.checked;
    }).map(function (b) { return b.value; });
    if (!depts.length) {
      say($('case-message'), '请至少选择一个部门', 'message error');
      return;
    }
    caseAction('assign', { departments: depts }, '已指派给' + depts.map(deptName).join('、'), $('assign-submit'));
  }

  /* "确认案件". */
  function ack() { caseAction('ack', undefined, '已确认接收该案件', $('ack-submit')); }

  /* "保存备注". */
  function note() {
    var text = $('note-text').value.trim();
    if (!text) {
      say($('case-message'), '请先填写备注内容', 'message error');
      return;
    }
    caseAction('note', { text: text }, '已保存备注', $('note-submit'));
  }

  /* "结案". */
  function closeCase() {
    var outcome = parseInt($('close-outcome').value, 10);
    if (!(outcome >= 1 && outcome <= 4)) {
      say($('case-message'), '请先选择结案结果', 'message error');
      return;
    }
    var body = { outcome: outcome };
    var text = $('close-note').value.trim();
    if (text) body.note = text;
    caseAction('close', body, '已结案（' + OUTCOMES[outcome] + '）', $('close-submit'));
  }

  /* ---- children ------------------------------------------------------------------ */

  /* "查找": the children matching q; more: the next page. */
  function searchChildren(more) {
    var body = $('child-results').tBodies[0];
    if (!more) {
      clear(body);
      childNext = null;
    }
    say($('child-error'), '');
    var q = $('child-q').value.trim();
    api('GET', '/api/v1/children' + query({ q: q, limit: PAGE, cursor: more ? childNext : '' })).then(function (res) {
      if (res.status !== 200) {
        say($('child-error'), failure(res), 'error');
        return;
      }
      (res.data.items || []).forEach(function (c) {
        var tr = el('tr', 'click');
        tr.setAttribute('data-child', c.code);
        [c.code, c.name, { M: '男', F: '女' }[c.sex] || c.sex || '—', c.birth_date || '—', place(c.region),
          c.last_visit || '从未'].forEach(function (t) { tr.appendChild(el('td', '', t)); });
        body.appendChild(tr);
      });
      childNext = res.data.next || null;
      $('child-more').hidden = !childNext;
      if (!body.rows.length) say($('child-error'), '没有找到符合条件的儿童', 'muted');
    });
  }

  /* Opens child code's file once a purpose is chosen (it goes to the audit
   * trail): the file is read first, and the page changes only when it came;
   * the code stays in memory and sessionStorage only. */
  function openChild(code) {
    var purpose = $('child-purpose').value;
    if (!/^\d{7}$/.test(code)) {
      say($('child-error'), '儿童编号应为 7 位数字', 'error');
      return;
    }
    if (!purpose) {
      say($('child-error'), '请先选择查阅目的', 'error');
      $('child-purpose').focus();
      return;
    }
    say($('child-error'), '');
    fetchChild(code, purpose).then(function (res) {
      if (res.status !== 200) {
        say($('child-error'), failure(res), 'error');
        return;
      }
      keep('gw.child', code);
      keep('gw.purpose', purpose);
      childFile = res.data;
      go('child');
    });
  }

  /* GET the file of child code, read for purpose. */
  function fetchChild(code, purpose) {
    return api('GET', '/api/v1/children/' + encodeURIComponent(code) + query({ purpose: purpose }));
  }

  /* Shows the file openChild read; after a reload, reads the kept one again. */
  function loadChild() {
    if (childFile) {
      fillChild(childFile);
      childFile = null;
      return;
    }
    fillChild(null);
    status('正在加载…');
    fetchChild(kept('gw.child'), kept('gw.purpose') || '').then(function (res) {
      status(res.status === 200 ? '' : failure(res));
      if (res.status === 200) fillChild(res.data);
    });
  }

  /* Opens the printable file of the child on show in a new tab, read for
   * the purpose already chosen (the page is audited like the file); the
   * URL holds only the code and the purpose. */
  function printChild() {
    var code = kept('gw.child');
    if (!/^\d{7}$/.test(code || '')) return;
    window.open('/api/v1/children/' + encodeURIComponent(code) + '/file.html' +
      query({ purpose: kept('gw.purpose') || '' }), '_blank', 'noopener');
  }

  /* Adds a "term: value" pair to the dl. */
  function fact(dl, term, value) {
    dl.appendChild(el('dt', '', term));
    dl.appendChild(el('dd', '', value === null || value === undefined || value === '' ? '—' : value));
  }

  /* Fills the child's file page with answer f (null: empty). */
  function fillChild(f) {
    var c = f ? f.child : {};
    $('child-code').textContent = c.code || '';
    $('child-name').textContent = c.name || '';
    var dl = $('child-registration');
    clear(dl);
    clear($('child-guardians'));
    clear($('child-timeline'));
    if (!f) return;
    fact(dl, '性别', { M: '男', F: '女' }[c.sex] || c.sex);
    fact(dl, '出生日期', c.birth_date);
    fact(dl, '地区', placeFull(c.region));
    fact(dl, '类别', (c.categories || []).map(function (k) { return CHILD_CATEGORIES[k] || k; }).join('、'));
    fact(dl, '关注标记', (c.flags || []).map(function (k) { return CHILD_FLAGS[k] || k; }).join('、'));
    fact(dl, '上次走访', c.last_visit || '从未走访');
    fact(dl, '下次应走访', c.visit_due);
    fact(dl, '登记时间', bjTime(c.created_at));
    if (c.aged_out) fact(dl, '说明', '已超出关爱年龄范围');
    (f.guardians || []).forEach(function (g) {
      var text = (g.name || '—') + '（' + (g.relation || '监护人') + '） ' + (g.phone || '') + (g.away ? ' · 外出务工' : '');
      $('child-guardians').appendChild(el('li', '', text));
    });
    if (!$('child-guardians').firstChild) $('child-guardians').appendChild(el('li', 'muted', '未登记监护人'));
    fillTimeline(f);
  }

  /* The child's visits, check-ins, cases and messages as one list in time
   * order (newest first); a case entry opens the case. */
  function fillTimeline(f) {
    var items = [];
    (f.visits || []).forEach(function (v) {
      var probs = (v.problems || []).map(function (p) { return PROBLEMS[p] || p; }).join('、');
      items.push({ t: v.recorded_at_unix, when: v.date || bjTime(v.recorded_at), kind: '走访',
        text: (VISIT_RESULTS[v.result] || v.result) + (probs ? '，问题：' + probs : '') + (v.note ? '，' + v.note : '') });
    });
    (f.checkins || []).forEach(function (k) {
      items.push({ t: k.at_unix, when: bjTime(k.at), kind: '家长报平安',
        text: (CHECKINS[k.status] || k.status) + (k.relation ? '（' + k.relation + '）' : '') +
          (k.return_date ? '，预计 ' + k.return_date + ' 回家' : '') + (k.note ? '，' + k.note : '') });
    });
    (f.cases || []).forEach(function (c) {
      items.push({ t: c.opened_at_unix, when: bjTime(c.opened_at), kind: '案件', number: c.number,
        text: c.number + ' · ' + (CATEGORIES[c.category] || c.category) + ' · ' + priorityText(c.priority) + ' · ' +
          (STATUSES[c.status] || c.status) });
    });
    (f.messages || []).forEach(function (m) {
      items.push({ t: m.at_unix, when: bjTime(m.at), kind: '短信', text: m.text || '' });
    });
    items.sort(function (a, b) { return (b.t || 0) - (a.t || 0); });
    var ul = $('child-timeline');
    items.forEach(function (it) {
      var li = el('li', it.number ? 'click' : '');
      if (it.number) li.setAttribute('data-case', it.number);
      li.appendChild(el('span', 'when', it.when));
      li.appendChild(el('span', 'what', it.kind));
      li.appendChild(el('span', 'detail', ' ' + it.text));
      ul.appendChild(li);
    });
    if (!items.length) ul.appendChild(el('li', 'muted', '暂无记录'));
  }

  /* ---- coverage -------------------------------------------------------------------- */

  /* Loads coverage (every row in scope, once) and shows the current level. */
  function loadCoverage() {
    status('正在加载…');
    api('GET', '/api/v1/coverage').then(function (res) {
      if (res.status !== 200) {
        status(failure(res));
        return;
      }
      status('');
      coverage = res.data.rows || [];
      var known = coverage.some(function (r) { return r.path === coverageAt; });
      if (!known) coverageAt = '';
      showCoverage();
    });
  }

  /* The top level in scope: the smallest level among the rows. */
  function topLevel() {
    return coverage.reduce(function (m, r) { return Math.min(m, r.level); }, 9);
  }

  /* The rows under coverageAt ('' the top level in scope). */
  function coverageChildren() {
    if (!coverageAt) {
      var top = topLevel();
      return coverage.filter(function (r) { return r.level === top; });
    }
    return coverage.filter(function (r) {
      return r.path.indexOf(coverageAt + '/') === 0 && r.path.split('/').length === coverageAt.split('/').length + 1;
    });
  }

  /* Draws the table and chart of the rows under coverageAt. */
  function showCoverage() {
    var rows = coverageChildren(), body = $('coverage-rows');
    clear(body);
    $('coverage-where').textContent = coverageAt ? '· ' + placeFull(coverageAt) : '';
    $('coverage-up').hidden = !coverageAt;
    rows.forEach(function (r) {
      var tr = el('tr', r.level < 3 ? 'click' : '');
      tr.setAttribute('data-region', r.path);
      var open = r.open ? (r.open.P0 || 0) + (r.open.P1 || 0) + (r.open.P2 || 0) + (r.open.P3 || 0) : 0;
      [place(r.path) + (r.level < 3 ? ' ›' : ''), r.children, r.in_person, r.remote_only, r.overdue,
        barOf(r).value + '%', open].forEach(function (t, i) {
        tr.appendChild(el('td', i === 4 && r.overdue > 0 ? 'late' : '', t));
      });
      body.appendChild(tr);
    });
    if (!rows.length) {
      var tr = el('tr');
      var td = el('td', 'muted', '暂无数据');
      td.colSpan = 7;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    drawBars($('coverage-chart'), rows.map(barOf), '暂无数据');
  }

  /* A coverage row clicked: one level down (villages are the bottom). */
  function coverageClicked(ev) {
    var tr = ev.target.closest ? ev.target.closest('tr[data-region]') : null;
    if (!tr) return;
    var path = tr.getAttribute('data-region');
    var row = coverage.filter(function (r) { return r.path === path; })[0];
    if (!row || row.level >= 3) return;
    coverageAt = path;
    showCoverage();
  }

  /* "返回上一级". */
  function coverageUp() {
    var parts = coverageAt.split('/');
    parts.pop();
    var parent = parts.join('/');
    var top = topLevel();
    var known = coverage.some(function (r) { return r.path === parent && r.level >= top; });
    coverageAt = known ? parent : '';
    showCoverage();
  }

  /* ---- audit ------------------------------------------------------------------------ */

  /* The audit log; more: the next page. */
  function loadAudit(more) {
    var body = $('audit-rows');
    if (!more) {
      clear(body);
      auditNext = null;
    }
    status('正在加载…');
    api('GET', '/api/v1/audit' + query({ limit: PAGE, cursor: more ? auditNext : '' })).then(function (res) {
      if (res.status !== 200) {
        status(failure(res));
        return;
      }
      status('');
      var chain = res.data.chain;
      say($('audit-chain'), chain === 'intact' ? '审计链校验完整（共 ' + res.data.chain_rows + ' 条）'
        : chain ? '审计链校验异常：' + chain : '', chain === 'intact' ? 'muted' : 'error');
      (res.data.items || []).forEach(function (a) {
        var tr = el('tr');
        tr.appendChild(el('td', 'audit-at', bjTime(a.at)));
        var actor = String(a.actor || '').replace(/^(session:)?staff:/, '#').replace(/^token:/, '接口令牌 ');
        tr.appendChild(el('td', 'audit-actor', actor + (a.role ? ' ' + (ROLES[a.role] || a.role) : '')));
        tr.appendChild(el('td', 'audit-action', AUDIT_ACTIONS[a.action] || a.action));
        var records = String(a.records || '').replace(/^case:/, '案件 ').replace(/^child:/, '儿童 ');
        tr.appendChild(el('td', 'audit-records', records || '—'));
        tr.appendChild(el('td', 'audit-purpose', purposeName(a.purpose)));
        body.appendChild(tr);
      });
      auditNext = res.data.next || null;
      $('audit-more').hidden = !auditNext;
    });
  }

  /* A purpose value in words (the choices of #child-purpose). */
  function purposeName(p) {
    var opt = p ? document.querySelector('#child-purpose option[value="' + String(p).replace(/"/g, '') + '"]') : null;
    return opt ? opt.textContent : p || '—';
  }

  /* ---- wiring ------------------------------------------------------------------------ */

  /* Fills the selects and checkboxes from the code book. */
  function fillChoices() {
    var sel = $('classify-category');
    sel.appendChild(el('option', '', '请选择类别')).value = '';
    Object.keys(CATEGORIES).forEach(function (k) { sel.appendChild(el('option', '', k + ' ' + CATEGORIES[k])).value = k; });
    var out = $('close-outcome');
    out.appendChild(el('option', '', '请选择结案结果')).value = '';
    Object.keys(OUTCOMES).forEach(function (k) { out.appendChild(el('option', '', k + ' ' + OUTCOMES[k])).value = k; });
    var box = $('assign-departments');
    DEPT_CODES.forEach(function (code) {
      var label = el('label', 'check');
      var input = el('input');
      input.type = 'checkbox';
      input.name = 'dept';
      input.value = code;
      label.appendChild(input);
      label.appendChild(document.createTextNode(' ' + DEPTS[code]));
      box.appendChild(label);
    });
  }

  /* Calls fn when Enter is pressed in input id. */
  function onEnter(id, fn) {
    $(id).addEventListener('keydown', function (ev) { if (ev.key === 'Enter') fn(); });
  }

  /* Binds every button and list to its function. */
  function wire() {
    $('login-send').addEventListener('click', sendCode);
    $('login-verify').addEventListener('click', verifyCode);
    onEnter('login-code', verifyCode);
    $('logout').addEventListener('click', logout);
    Array.prototype.forEach.call(document.querySelectorAll('nav.tabs button'), function (b) {
      b.addEventListener('click', function () { go(b.getAttribute('data-view')); });
    });
    $('overview-cases').addEventListener('click', function (ev) { var n = clickedCase(ev); if (n) openCase(n); });
    $('cases-list').addEventListener('click', function (ev) { var n = clickedCase(ev); if (n) openCase(n); });
    $('child-timeline').addEventListener('click', function (ev) {
      var li = ev.target.closest ? ev.target.closest('li[data-case]') : null;
      if (li && may('cases.read')) openCase(li.getAttribute('data-case'));
    });
    $('overview-due').addEventListener('click', dueClicked);
    $('cases-status').addEventListener('change', function () { loadCases(false); });
    $('cases-more').addEventListener('click', function () { loadCases(true); });
    $('case-back').addEventListener('click', function () { go('cases'); });
    $('classify-submit').addEventListener('click', classify);
    $('assign-submit').addEventListener('click', assign);
    $('ack-submit').addEventListener('click', ack);
    $('note-submit').addEventListener('click', note);
    $('close-submit').addEventListener('click', closeCase);
    $('child-search').addEventListener('click', function () { searchChildren(false); });
    $('child-print').addEventListener('click', printChild);
    onEnter('child-q', function () { searchChildren(false); });
    $('child-more').addEventListener('click', function () { searchChildren(true); });
    $('child-open').addEventListener('click', function () { openChild($('child-code-input').value.trim()); });
    onEnter('child-code-input', function () { openChild($('child-code-input').value.trim()); });
    $('child-results').addEventListener('click', function (ev) {
      var tr = ev.target.closest ? ev.target.closest('tr[data-child]') : null;
      if (tr) openChild(tr.getAttribute('data-child'));
    });
    $('child-back').addEventListener('click', function () { go('children'); });
    $('coverage-rows').addEventListener('click', coverageClicked);
    $('coverage-up').addEventListener('click', coverageUp);
    $('audit-more').addEventListener('click', function () { loadAudit(true); });
    window.addEventListener('hashchange', route);
  }

  /* Starts once the page is parsed. */
  function boot() {
    fillChoices();
    wire();
    start();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
  else boot();
})();

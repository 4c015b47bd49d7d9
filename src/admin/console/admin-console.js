// The operator console. Plain browser JavaScript, no build step. Every value from the API is
// written with textContent, never as HTML: reseller names and product texts are user input.
'use strict';
(function () {
  var KEY_STORE = 'ppobAdminKey';
  var state = { key: sessionStorage.getItem(KEY_STORE) };
  var $ = function (id) { return document.getElementById(id); };
  var rupiah = new Intl.NumberFormat('id-ID');

  function say(text, kind) {
    var box = $('pesan');
    box.textContent = text || '';
    box.className = kind || '';
  }

  function api(method, path, body) {
    var init = { method: method, headers: { 'x-admin-key': state.key } };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) {
        if (!res.ok) {
          var err = new Error((json && json.detail) || ('HTTP ' + res.status));
          err.status = res.status;
          throw err;
        }
        return json;
      });
    });
  }

  function fail(err) {
    if (err.status === 401) signOut('Kunci operator ditolak');
    else say(err.message, 'error');
  }

  function cell(row, value, className) {
    var td = document.createElement('td');
    td.textContent = value === null || value === undefined ? '' : String(value);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function button(parent, label, testId, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'act';
    b.textContent = label;
    b.setAttribute('data-testid', testId);
    b.addEventListener('click', onClick);
    parent.appendChild(b);
    return b;
  }

  function fill(tbodyId, rows, render) {
    var body = $(tbodyId);
    body.replaceChildren();
    rows.forEach(function (item) {
      var tr = document.createElement('tr');
      render(tr, item);
      body.appendChild(tr);
    });
    if (rows.length === 0) {
      var tr = document.createElement('tr');
      var td = cell(tr, 'Tidak ada data');
      td.colSpan = 10;
      body.appendChild(tr);
    }
  }

  function when(iso) { return iso ? new Date(iso).toLocaleString('id-ID') : ''; }

  // --- sections ---------------------------------------------------------------------------

  var loaders = {
    laporan: function () {
      var tanggal = $('laporan-tanggal').value;
      return api('GET', '/admin/laporan' + (tanggal ? '?tanggal=' + encodeURIComponent(tanggal) : '')).then(function (r) {
        var box = $('laporan-isi');
        box.replaceChildren();
        var title = document.createElement('h2');
        title.textContent = 'Laporan ' + r.tanggal + ' (' + r.zona + ')';
        box.appendChild(title);
        var cards = [
          ['Pembelian sukses', r.pembelian.sukses.jumlah + ' / Rp' + rupiah.format(r.pembelian.sukses.total)],
          ['Pembelian gagal', r.pembelian.gagal.jumlah + ' / Rp' + rupiah.format(r.pembelian.gagal.total)],
          ['Dalam proses', (r.pembelian.pending.jumlah + r.pembelian.proses.jumlah) + ''],
          ['Refund', r.refund.jumlah + ' / Rp' + rupiah.format(r.refund.total)],
          ['Deposit', r.deposit.jumlah + ' / Rp' + rupiah.format(r.deposit.total)],
          ['Koreksi', r.koreksi.jumlah + ' / Rp' + rupiah.format(r.koreksi.total)],
          ['Margin', 'Rp' + rupiah.format(r.margin)],
          ['Cek ledger', r.ledger.ok ? 'cocok (' + r.ledger.reseller_diperiksa + ' reseller)' : r.ledger.selisih.length + ' reseller TIDAK cocok'],
        ];
        cards.forEach(function (c) {
          var div = document.createElement('div');
          div.className = 'card';
          var b = document.createElement('b');
          b.textContent = c[1];
          div.appendChild(b);
          div.appendChild(document.createTextNode(c[0]));
          box.appendChild(div);
        });
        if (!r.ledger.ok) {
          var p = document.createElement('p');
          p.className = 'bad';
          p.textContent = 'Selisih ledger: ' + r.ledger.selisih.map(function (s) { return 'user ' + s.user_id + ' saldo ' + s.saldo + ' vs mutasi ' + s.jumlah_mutasi; }).join('; ');
          box.appendChild(p);
        }
      });
    },

    deposit: function () {
      var status = $('deposit-status').value;
      return api('GET', '/admin/deposit?limit=100' + (status ? '&status=' + status : '')).then(function (rows) {
        fill('deposit-baris', rows, function (tr, d) {
          tr.setAttribute('data-deposit-id', d.id);
          cell(tr, d.id); cell(tr, d.user_id); cell(tr, rupiah.format(d.jumlah_transfer), 'num');
          cell(tr, d.bank + ' ' + d.rekening); cell(tr, d.berita); cell(tr, d.status); cell(tr, when(d.kedaluwarsa));
          var actions = cell(tr, '');
          if (d.status !== 'pending') return;
          button(actions, 'Konfirmasi', 'konfirmasi-' + d.id, function () {
            if (!confirm('Kreditkan Rp' + rupiah.format(d.jumlah_transfer) + ' ke user ' + d.user_id + '?')) return;
            api('POST', '/admin/deposit/' + d.id + '/konfirmasi').then(function (r) {
              say('Deposit ' + r.id + ' dikonfirmasi; saldo user ' + r.user_id + ' sekarang Rp' + rupiah.format(r.saldo), 'ok');
              return loaders.deposit();
            }).catch(fail);
          });
          button(actions, 'Tolak', 'tolak-' + d.id, function () {
            if (!confirm('Tolak deposit ' + d.id + '?')) return;
            api('POST', '/admin/deposit/' + d.id + '/tolak').then(function () {
              say('Deposit ' + d.id + ' ditolak', 'ok');
              return loaders.deposit();
            }).catch(fail);
          });
        });
      });
    },

    transaksi: function () {
      var form = $('form-transaksi');
      var params = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || !el.value) return;
        var value = el.value;
        // Dates from the picker are whole days: send them as instants of the browser's day.
        if (el.type === 'date') value = new Date(value + 'T00:00:00').toISOString();
        params.push(encodeURIComponent(el.name) + '=' + encodeURIComponent(value));
      });
      return api('GET', '/admin/transaksi?limit=100' + (params.length ? '&' + params.join('&') : '')).then(function (rows) {
        fill('transaksi-baris', rows, function (tr, t) {
          cell(tr, t.id); cell(tr, t.user_id); cell(tr, t.produk_id); cell(tr, t.ref_id); cell(tr, t.nomor_tujuan);
          cell(tr, rupiah.format(t.harga), 'num'); cell(tr, t.status + (t.perlu_operator ? ' (perlu operator)' : ''));
          cell(tr, t.hasil_eksekusi); cell(tr, when(t.waktu));
          var actions = cell(tr, '');
          if (!t.perlu_operator) return;
          button(actions, 'Sukses', 'sukses-' + t.id, function () {
            var sn = prompt('Serial number (SN) dari supplier untuk transaksi ' + t.id);
            if (!sn) return;
            api('POST', '/admin/transaksi/' + t.id + '/selesaikan', { status: 'sukses', sn: sn }).then(function () {
              say('Transaksi ' + t.id + ' sukses', 'ok');
              return loaders.transaksi();
            }).catch(fail);
          });
          button(actions, 'Gagal + refund', 'gagal-' + t.id, function () {
            if (!confirm('Gagalkan transaksi ' + t.id + ' dan refund Rp' + rupiah.format(t.harga) + '?')) return;
            api('POST', '/admin/transaksi/' + t.id + '/selesaikan', { status: 'gagal' }).then(function () {
              say('Transaksi ' + t.id + ' gagal, harga direfund', 'ok');
              return loaders.transaksi();
            }).catch(fail);
          });
        });
      });
    },

    produk: function () {
      return api('GET', '/admin/produk').then(function (rows) {
        fill('produk-baris', rows, function (tr, p) {
          cell(tr, p.id); cell(tr, p.kode); cell(tr, p.nama); cell(tr, p.kategori);
          cell(tr, rupiah.format(p.harga), 'num'); cell(tr, rupiah.format(p.nominal), 'num'); cell(tr, p.aktif ? 'ya' : 'tidak');
          button(cell(tr, ''), 'Ubah', 'ubah-produk-' + p.id, function () { editProduk(p); });
        });
      });
    },

    reseller: function () {
      var email = $('reseller-email').value.trim();
      return api('GET', '/admin/users?limit=100' + (email ? '&email=' + encodeURIComponent(email) : '')).then(function (rows) {
        fill('reseller-baris', rows, function (tr, u) {
          tr.setAttribute('data-user-id', u.id);
          cell(tr, u.id); cell(tr, u.nama); cell(tr, u.email);
          cell(tr, rupiah.format(u.saldo), 'num').setAttribute('data-testid', 'saldo-' + u.id);
          cell(tr, u.aktif ? 'ya' : 'DINONAKTIFKAN');
          button(cell(tr, ''), u.aktif ? 'Nonaktifkan' : 'Aktifkan', 'aktif-' + u.id, function () {
            if (u.aktif && !confirm('Nonaktifkan ' + u.email + '? Kuncinya langsung ditolak.')) return;
            api('PATCH', '/admin/users/' + u.id, { aktif: !u.aktif }).then(function () {
              say(u.email + (u.aktif ? ' dinonaktifkan' : ' diaktifkan'), 'ok');
              return loaders.reseller();
            }).catch(fail);
          });
        });
      });
    },

    audit: function () {
      return api('GET', '/admin/audit?limit=100').then(function (rows) {
        fill('audit-baris', rows, function (tr, a) {
          cell(tr, a.id); cell(tr, a.admin_id); cell(tr, a.aksi); cell(tr, a.objek);
          cell(tr, a.sebelum ? JSON.stringify(a.sebelum) : ''); cell(tr, a.sesudah ? JSON.stringify(a.sesudah) : ''); cell(tr, when(a.waktu));
        });
      });
    },
  };

  function editProduk(p) {
    var form = $('form-produk');
    $('produk-judul').textContent = 'Ubah produk ' + p.id;
    form.elements.id.value = p.id;
    ['nama', 'kode', 'kategori', 'harga', 'nominal', 'deskripsi'].forEach(function (f) { form.elements[f].value = p[f] === null ? '' : p[f]; });
    form.elements.aktif.value = String(p.aktif);
  }

  function resetProduk() {
    $('form-produk').reset();
    $('form-produk').elements.id.value = '';
    $('produk-judul').textContent = 'Produk baru';
  }

  /** A whole number typed into a text box, or the text itself so the API names the mistake. */
  function numberOrText(value) {
    return /^-?\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : value;
  }

  function show(tab) {
    Array.prototype.forEach.call(document.querySelectorAll('nav button[data-tab]'), function (b) {
      if (b.getAttribute('data-tab') === tab) b.setAttribute('aria-current', 'page');
      else b.removeAttribute('aria-current');
    });
    Array.prototype.forEach.call(document.querySelectorAll('main > section'), function (s) { s.hidden = s.id !== tab; });
    say('');
    return loaders[tab]().catch(fail);
  }

  function signIn(key) {
    state.key = key;
    return api('GET', '/admin/laporan').then(function () {
      sessionStorage.setItem(KEY_STORE, key);
      $('nav').hidden = false;
      return show('laporan');
    });
  }

  function signOut(message) {
    state.key = null;
    sessionStorage.removeItem(KEY_STORE);
    $('nav').hidden = true;
    Array.prototype.forEach.call(document.querySelectorAll('main > section'), function (s) { s.hidden = s.id !== 'masuk'; });
    say(message || '', message ? 'error' : '');
  }

  // --- wiring -------------------------------------------------------------------------------

  $('form-masuk').addEventListener('submit', function (e) {
    e.preventDefault();
    var key = $('kunci').value.trim();
    $('kunci').value = '';
    signIn(key).catch(function (err) { signOut(err.status === 401 ? 'Kunci operator ditolak' : err.message); });
  });
  $('keluar').addEventListener('click', function () { signOut(); });
  Array.prototype.forEach.call(document.querySelectorAll('nav button[data-tab]'), function (b) {
    b.addEventListener('click', function () { show(b.getAttribute('data-tab')); });
  });
  [['form-laporan', 'laporan'], ['form-deposit', 'deposit'], ['form-transaksi', 'transaksi'], ['form-reseller', 'reseller']].forEach(function (pair) {
    $(pair[0]).addEventListener('submit', function (e) { e.preventDefault(); loaders[pair[1]]().catch(fail); });
  });
  $('produk-batal').addEventListener('click', resetProduk);
  $('form-produk').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = e.target.elements;
    var body = { nama: f.nama.value.trim(), kode: f.kode.value.trim(), harga: numberOrText(f.harga.value), nominal: numberOrText(f.nominal.value), deskripsi: f.deskripsi.value.trim(), aktif: f.aktif.value === 'true' };
    if (f.kategori.value.trim()) body.kategori = f.kategori.value.trim();
    var id = f.id.value;
    api(id ? 'PATCH' : 'POST', id ? '/admin/produk/' + id : '/admin/produk', body).then(function (p) {
      say('Produk ' + p.id + ' (' + p.nama + ') disimpan', 'ok');
      resetProduk();
      return loaders.produk();
    }).catch(fail);
  });
  $('form-koreksi').addEventListener('submit', function (e) {
    e.preventDefault();
    var f = e.target.elements;
    var body = { jumlah: numberOrText(f.jumlah.value), keterangan: f.keterangan.value.trim(), ref: f.ref.value.trim() };
    api('POST', '/admin/users/' + encodeURIComponent(f.user_id.value.trim()) + '/saldo', body).then(function (r) {
      say('Koreksi ' + r.ref + (r.diulang ? ' sudah pernah diterapkan' : ' diterapkan') + '; saldo user ' + r.user_id + ' Rp' + rupiah.format(r.saldo_akhir), 'ok');
      e.target.reset();
      return loaders.reseller();
    }).catch(fail);
  });

  if (state.key) signIn(state.key).catch(function () { signOut(); });
})();

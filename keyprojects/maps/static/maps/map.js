/* 一张图: outlines from the vendored GeoJSON, the choropleth, the points (or grid cells) from
   the scoped JSON view, a project's card, and the "标注" mode that saves a clicked position. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var T = cfg.text;
  var chart = echarts.init(document.getElementById("map"));
  var STAGE = {planning: "#9aa0ac", preparation: "#f59f00", construction: "#2fb344", completed: "#206bc4",
               operating: "#4263eb", suspended: "#d63939", terminated: "#495057"};
  var WARNING = {red: "#d63939", yellow: "#f59f00", "": "#2fb344"};
  var colourBy = "stage", placing = null, data = null, codeOfName = {}, nameOfCode = {};

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return values[key]; });
  }
  function yi(wan) { return (Number(wan) / 10000).toFixed(2); }
  function withRegion(pk) {
    var params = new URLSearchParams(window.location.search);
    params.set("region", pk);
    params.delete("own");
    return window.location.pathname + "?" + params.toString();
  }

  function legend() {
    var box = document.getElementById("map-legend");
    if (data && data.aggregated) { box.textContent = T.cells; return; }
    var entries = colourBy === "warning"
      ? [["red", T.red], ["yellow", T.yellow], ["", T.no_warning]].map(function (e) { return [WARNING[e[0]], e[1]]; })
      : Object.keys(STAGE).map(function (key) { return [STAGE[key], cfg.stages[key]]; });
    box.replaceChildren.apply(box, entries.map(function (e) {
      var item = document.createElement("span");
      var dot = document.createElement("span");
      dot.className = "legend-dot";
      dot.style.background = e[0];
      item.append(dot, e[1]);
      return item;
    }));
  }

  function pointSeries() {
    if (!data) { return {id: "points", type: "scatter", coordinateSystem: "geo", data: []}; }
    if (data.aggregated) {
      var labelled = data.points.length <= 150;  // numbers on hundreds of cells would overlap
      return {id: "points", type: "scatter", coordinateSystem: "geo", zlevel: 1,
        data: data.points.map(function (c) { return {value: [c.lng, c.lat, c.count], cell: c}; }),
        symbolSize: function (v) { return Math.min(26, 8 + 2.5 * Math.log2(v[2])); },
        itemStyle: {color: "rgba(32,107,196,0.6)", borderColor: "#fff", borderWidth: 1},
        label: {show: labelled, formatter: function (p) { return p.value[2]; }, color: "#fff", fontSize: 10},
        tooltip: {formatter: function (p) {
          return p.data.cell.count + " " + T.projects + "<br>" + T.investment + " " + yi(p.data.cell.investment) + " " + T.yi + "<br>" + T.cell;
        }}};
    }
    return {id: "points", type: "scatter", coordinateSystem: "geo", zlevel: 1,
      data: data.points.map(function (p) { return {value: [p.lng, p.lat, Number(p.investment)], name: p.name, project: p}; }),
      symbolSize: function (v) { return Math.max(5, Math.min(24, Math.sqrt(v[2]) / 14)); },
      itemStyle: {borderColor: "#fff", borderWidth: 1, color: function (p) {
        var project = p.data.project;
        return colourBy === "warning" ? WARNING[project.warning] : (STAGE[project.stage] || "#666");
      }},
      tooltip: {formatter: function (p) {
        var project = p.data.project;
        return project.name + "<br>" + (cfg.stages[project.stage] || "") + " · " + yi(project.investment) + " " + T.yi;
      }}};
  }

  function shadeSeries() {
    var values = cfg.shades.filter(function (s) { return s.value !== null; }).map(function (s) { return s.value; });
    // the scale spans the counties' own values (all of them may lie within a few points)
    var low = values.length ? Math.floor(Math.min.apply(null, values)) : 0;
    var high = values.length ? Math.ceil(Math.max.apply(null, values)) : 100;
    return {
      visualMap: values.length ? [{type: "continuous", seriesIndex: 0, min: low, max: Math.max(high, low + 1),
        text: [Math.max(high, low + 1) + "%", low + "%  " + cfg.shade_label], calculable: false, left: 10, bottom: 10, itemHeight: 90,
        inRange: {color: ["#fde8d7", "#f7c59f", "#9fd3c7", "#3c8d93"]}, outOfRange: {color: "#eef3f8"}}] : [],
      series: {id: "shades", type: "map", geoIndex: 0, itemStyle: {opacity: cfg.tiles ? 0.55 : 1}, data: cfg.shades.map(function (s) {
        return {name: nameOfCode[s.code] || s.name, value: s.value, shade: s};
      }), tooltip: {formatter: function (p) {
        var s = p.data && p.data.shade;
        return s ? s.name + "<br>" + cfg.shade_label + "：" + (s.value === null ? T.none : s.value + "%") + "<br>" + s.count + " " + T.projects : p.name;
      }}}
    };
  }

  function draw() {
    var shades = shadeSeries();
    chart.setOption({
      tooltip: {trigger: "item"},
      visualMap: shades.visualMap,
      geo: {map: "region", roam: true, zoom: 1.1, scaleLimit: {min: 0.8, max: 60},
        label: {show: true, fontSize: 11, color: "#495057"},
        itemStyle: {areaColor: cfg.tiles ? "rgba(255,255,255,0.05)" : "#eef3f8", borderColor: "#6c7a91", borderWidth: 1},
        emphasis: {label: {color: "#1d273b"}, itemStyle: {areaColor: "#d7e3f4"}},
        select: {disabled: true}},
      series: [shades.series, pointSeries()]
    });
  }

  function loadPoints(box) {
    var url = cfg.points_url + (box ? "&box=" + box.join(",") : "");
    return fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (json) {
      data = json;
      legend();
      document.getElementById("map-shown").textContent = json.count;
      document.getElementById("map").dataset.points = json.count;  // drawn: what the browser tests wait for
      chart.setOption({series: [{id: "shades"}, pointSeries()]});
    });
  }

  function showCard(project) {
    var card = document.getElementById("map-card");
    var link = document.getElementById("card-name");
    link.textContent = project.name;
    link.href = cfg.detail_url.replace("/0/", "/" + project.id + "/");
    document.getElementById("card-owner").textContent = project.owner || T.none;
    document.getElementById("card-investment").textContent = Number(project.investment).toLocaleString("zh-CN");
    document.getElementById("card-stage").textContent = cfg.stages[project.stage] || "";
    document.getElementById("card-warning").textContent = project.warning ? T[project.warning] : T.no_warning;
    card.classList.remove("d-none");
  }

  chart.on("click", function (p) {
    if (placing) { return; }
    if (p.seriesId === "points" && p.data.project) { showCard(p.data.project); return; }
    if (p.seriesId === "points" && p.data.cell) {
      var box = p.data.cell.box;
      chart.setOption({geo: {center: [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], zoom: 8}});
      document.getElementById("map-all").classList.remove("d-none");
      loadPoints(box);
      return;
    }
    var code = p.data && p.data.shade ? p.data.shade.code : codeOfName[p.name];
    var pk = code && cfg.children[code];
    if (pk) { window.location = withRegion(pk); }
  });

  document.getElementById("map-all").addEventListener("click", function (e) {
    e.target.classList.add("d-none");
    chart.setOption({geo: {center: null, zoom: 1.1}});
    loadPoints(null);
  });

  document.querySelectorAll("input[name=colour-by]").forEach(function (input) {
    input.addEventListener("change", function () {
      colourBy = input.value;
      legend();
      chart.setOption({series: [{id: "shades"}, pointSeries()]});
    });
  });
  document.getElementById("id_shade").addEventListener("change", function () { document.getElementById("map-filter").submit(); });

  // 标注: pick a project beside the map, then click where it is; saved through the service
  var banner = document.getElementById("map-placing");
  function stopPlacing() { placing = null; banner.classList.add("d-none"); }
  document.querySelectorAll(".place-project").forEach(function (button) {
    button.addEventListener("click", function () {
      placing = {id: button.dataset.id, version: button.dataset.version, name: button.dataset.name};
      banner.textContent = fill(T.place, {name: placing.name});
      banner.classList.remove("d-none");
      document.getElementById("map").scrollIntoView({behavior: "smooth", block: "center"});
    });
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { stopPlacing(); } });
  chart.getZr().on("click", function (e) {
    if (!placing) { return; }
    var at = chart.convertFromPixel({geoIndex: 0}, [e.offsetX, e.offsetY]);
    if (!at) { return; }
    var lng = at[0].toFixed(6), lat = at[1].toFixed(6);
    if (!window.confirm(fill(T.confirm, {name: placing.name, lng: lng, lat: lat}))) { return; }
    var body = new FormData(document.getElementById("location-form"));
    body.append("longitude", lng);
    body.append("latitude", lat);
    body.append("version", placing.version);
    fetch(cfg.location_url.replace("/0/", "/" + placing.id + "/"), {method: "POST", body: body, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (json) { return {ok: r.ok, json: json}; }); })
      .then(function (result) {
        if (result.ok) { window.location.reload(); return; }
        banner.textContent = T.failed + "：" + result.json.error;
        placing = null;
      });
  });

  window.addEventListener("resize", function () { chart.resize(); drawTiles(); });

  // The optional tile layer (KEYPROJECTS_MAP_TILES, an XYZ service on the intranet): the tiles
  // covering the view laid under the outlines, each stretched between its corners' positions
  // (a tile spans a few tenths of a degree at a county's zoom: Web Mercator's bend inside one is
  // below a pixel or two).
  function tileLng(x, z) { return x / Math.pow(2, z) * 360 - 180; }
  function tileLat(y, z) { var n = Math.PI - 2 * Math.PI * y / Math.pow(2, z); return Math.atan(Math.sinh(n)) * 180 / Math.PI; }
  function drawTiles() {
    if (!cfg.tiles) { return; }
    var w = chart.getWidth(), h = chart.getHeight();
    var nw = chart.convertFromPixel({geoIndex: 0}, [0, 0]), se = chart.convertFromPixel({geoIndex: 0}, [w, h]);
    if (!nw || !se) { return; }
    var z = Math.max(1, Math.min(18, Math.round(Math.log2(w / 256 * 360 / Math.max(se[0] - nw[0], 1e-6)))));
    var n = Math.pow(2, z);
    var x0 = Math.max(0, Math.floor((nw[0] + 180) / 360 * n)), x1 = Math.min(n - 1, Math.floor((se[0] + 180) / 360 * n));
    var toY = function (lat) { var r = lat * Math.PI / 180; return Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n); };
    var y0 = Math.max(0, toY(nw[1])), y1 = Math.min(n - 1, toY(se[1]));
    var tiles = [];
    for (var x = x0; x <= x1 && tiles.length < 120; x++) {
      for (var y = y0; y <= y1 && tiles.length < 120; y++) {
        var a = chart.convertToPixel({geoIndex: 0}, [tileLng(x, z), tileLat(y, z)]);
        var b = chart.convertToPixel({geoIndex: 0}, [tileLng(x + 1, z), tileLat(y + 1, z)]);
        tiles.push({type: "image", silent: true, z: -10, style: {
          image: cfg.tiles.replace("{z}", z).replace("{x}", x).replace("{y}", y),
          x: a[0], y: a[1], width: b[0] - a[0], height: b[1] - a[1]}});
      }
    }
    chart.setOption({graphic: [{id: "tiles", type: "group", silent: true, z: -10, children: tiles}]}, {replaceMerge: ["graphic"]});
  }
  chart.on("georoam", function () { window.requestAnimationFrame(drawTiles); });

  function start(geojson) {
    if (cfg.keep) {
      geojson.features = geojson.features.filter(function (f) { return cfg.keep.indexOf(String(f.properties.adcode)) >= 0; });
    }
    geojson.features.forEach(function (f) {
      codeOfName[f.properties.name] = String(f.properties.adcode);
      nameOfCode[String(f.properties.adcode)] = f.properties.name;
    });
    echarts.registerMap("region", geojson);
    legend();
    draw();
    drawTiles();
    loadPoints(null);
  }
  if (cfg.geo_url) {
    fetch(cfg.geo_url).then(function (r) { return r.json(); }).then(start);
  } else {
    start({type: "FeatureCollection", features: []});
  }
})();

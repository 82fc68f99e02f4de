// The workbench's only script besides htmx: small conveniences, nothing the pages need.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // A form that uploads says so and cannot be sent twice.
    document.querySelectorAll("form[enctype='multipart/form-data'], form#decision").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type='submit']").forEach(function (b) {
          b.disabled = true;
          b.classList.add("busy");
        });
      });
    });
    // The drop zone shows which files were chosen.
    var input = document.getElementById("files-input");
    if (input) {
      input.addEventListener("change", function () {
        var names = Array.prototype.map.call(input.files, function (f) { return f.name; });
        var label = input.closest("label");
        var list = document.getElementById("chosen") || document.createElement("p");
        list.id = "chosen";
        list.className = "hint";
        list.textContent = "已选 " + names.length + " 个文件：" + names.join("、");
        label.after(list);
      });
    }
  });
})();

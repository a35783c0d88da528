// @ts-check
// idcenter console sign-in: submit the SAML form to AWS's sign-in endpoint as soon as the page
// loads (src/web/portal/console.ts). An external file because the CSP allows no inline script;
// without scripts the form's own button does the same.
(() => {
  const form = /** @type {HTMLFormElement | null} */ (document.getElementById('console-signin'));
  if (!form) return;
  const button = form.querySelector('button');
  if (button) {
    button.disabled = true;
    button.textContent = 'Opening the AWS console…';
  }
  // The prototype's submit: a field named "submit" cannot shadow it.
  HTMLFormElement.prototype.submit.call(form);
})();

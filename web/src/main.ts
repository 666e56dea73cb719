import { createApp } from 'vue';
import ElementPlus from 'element-plus';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import 'element-plus/dist/index.css';
import './styles/index.css';

import App from './App.vue';
import router from './router';
import { setupDirectives } from './directives';
import { setMfaEnrolmentHandler, setPasswordChangeHandler, setUnauthorizedHandler } from './api/http';
import { clearUser, requireMfaEnrolment, requirePasswordChange } from './store/user';

// Any 401 from the API (expired or revoked session): forget the user and open the login page,
// coming back to the same page after signing in.
setUnauthorizedHandler(() => {
  clearUser();
  const current = router.currentRoute.value;
  if (current.name === 'login') return;
  void router.replace({ name: 'login', query: { redirect: current.fullPath } });
});

// The password expired or was reset during the session: only the change-password page is open.
setPasswordChangeHandler(() => {
  requirePasswordChange();
  if (router.currentRoute.value.name !== 'password') void router.replace({ name: 'password' });
});

// A second factor must be enrolled first (administrators and finance): only the 双因素认证 page is open.
setMfaEnrolmentHandler(() => {
  requireMfaEnrolment();
  if (router.currentRoute.value.name !== 'mfa') void router.replace({ name: 'mfa' });
});

const app = createApp(App);
app.use(ElementPlus, { locale: zhCn });
app.use(router);
setupDirectives(app);
app.mount('#app');

console.log('ofox-bot');
